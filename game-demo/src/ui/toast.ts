/** Short announcements over the playfield, also read out by screen readers (role=status). */
export class Toaster {
  private timer = 0;

  constructor(private readonly element: HTMLElement) {}

  show(text: string, tone: 'good' | 'info' | 'bad' = 'info', ms = 2600): void {
    window.clearTimeout(this.timer);
    this.element.textContent = text;
    this.element.dataset.tone = tone;
    this.element.classList.add('visible');
    this.timer = window.setTimeout(() => this.element.classList.remove('visible'), ms);
  }
}

/** Creates an element with attributes and children in one call. */
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
