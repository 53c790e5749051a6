// Small DOM helpers shared by the pay sheet's screens.

/** Creates an element with attributes and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | boolean | undefined> = {},
  ...children: (Node | string | null | undefined | false)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (name === 'class') el.className = String(value);
    else el.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child);
  }
  return el;
}

/** The main region; every screen replaces its content and moves focus to its heading. */
export function show(...children: (Node | null | false)[]): void {
  const root = document.getElementById('root');
  if (!root) return;
  root.replaceChildren(...children.filter((c): c is Node => !!c));
  root.removeAttribute('aria-busy');
  const heading = root.querySelector<HTMLElement>('h1, h2');
  if (heading) {
    heading.tabIndex = -1;
    heading.focus({ preventScroll: true });
  }
}

/** A loading state with a spinner; the region is marked busy for assistive tech. */
export function showLoading(text = 'Loading…'): void {
  const root = document.getElementById('root');
  if (!root) return;
  root.setAttribute('aria-busy', 'true');
  root.replaceChildren(
    h('div', { class: 'loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), text),
  );
}

/** A labelled input with its own error line, wired with aria-describedby. */
export function field(
  id: string,
  label: string,
  attrs: Record<string, string | boolean | undefined>,
): { wrap: HTMLElement; input: HTMLInputElement; error: HTMLElement; setError(text: string): void } {
  const error = h('p', { class: 'field-error', id: `${id}-error` });
  const input = h('input', { id, name: id, 'aria-describedby': `${id}-error`, ...attrs });
  const wrap = h('div', { class: 'field' }, h('label', { for: id }, label), input, error);
  return {
    wrap,
    input,
    error,
    setError(text: string) {
      error.textContent = text;
      if (text) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
    },
  };
}

/** A message box: role=alert for errors so they are announced at once. */
export function notice(tone: 'error' | 'info' | 'success', text: string): HTMLElement {
  return h('p', { class: `notice ${tone}`, role: tone === 'error' ? 'alert' : 'status' }, text);
}

/** A button that shows a spinner and ignores taps while `run` is pending. */
export function actionButton(
  label: string,
  run: () => Promise<void>,
  attrs: Record<string, string | boolean | undefined> = {},
): HTMLButtonElement {
  const button = h('button', { type: 'button', class: 'btn primary', ...attrs }, label);
  let busy = false;
  button.addEventListener('click', async () => {
    if (busy) return;
    busy = true;
    button.setAttribute('aria-disabled', 'true');
    button.classList.add('busy');
    try {
      await run();
    } finally {
      busy = false;
      button.removeAttribute('aria-disabled');
      button.classList.remove('busy');
    }
  });
  return button;
}

/** Digits of a currency's minor unit (USD 2, JPY 0), from Intl. */
export function currencyDigits(currency: string): number {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 0;
  }
}

/** Formats integer minor units of an ISO currency for display. */
export function formatMinor(amountMinor: number, currency: string): string {
  const digits = currencyDigits(currency);
  try {
    return new Intl.NumberFormat(undefined, {
      style: 'currency',
      currency,
      minimumFractionDigits: digits === 2 && amountMinor % 100 === 0 ? 0 : digits,
    }).format(amountMinor / 10 ** digits);
  } catch {
    return `${amountMinor} ${currency}`;
  }
}

/** Brand name for display. */
export function brandName(brand: string): string {
  const names: Record<string, string> = {
    visa: 'Visa',
    mastercard: 'Mastercard',
    'american-express': 'American Express',
    amex: 'American Express',
  };
  return names[brand.toLowerCase()] ?? brand.charAt(0).toUpperCase() + brand.slice(1);
}

/** A player message (src/sdk/player-messages.ts): what happened, then the next step on its own line. */
export function messageNotice(tone: 'error' | 'info', message: { text: string; next: string }): HTMLElement {
  return h(
    'div',
    { class: `notice ${tone}`, role: tone === 'error' ? 'alert' : 'status' },
    h('p', {}, message.text),
    message.next ? h('p', { class: 'next-step' }, message.next) : null,
  );
}
