// Modal behaviour for overlays: focus moves in, Tab stays in, Escape closes, focus returns to the opener.
const FOCUSABLE =
  'button:not([disabled]), [href], input:not([disabled]), select:not([disabled]), iframe, [tabindex]:not([tabindex="-1"])';

export interface ModalHandle {
  close(): void;
}

/** Shows `element` as a modal; `onEscape` runs on Escape (usually the close action). */
export function openModal(element: HTMLElement, onEscape: () => void, initialFocus?: HTMLElement | null): ModalHandle {
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  element.hidden = false;
  const onKey = (event: KeyboardEvent): void => {
    if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      onEscape();
      return;
    }
    if (event.key !== 'Tab') return;
    const items = [...element.querySelectorAll<HTMLElement>(FOCUSABLE)].filter(
      (el) => el.offsetParent !== null || el === document.activeElement,
    );
    const first = items[0];
    const last = items[items.length - 1];
    if (!first || !last) return;
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  };
  element.addEventListener('keydown', onKey);
  (initialFocus ?? element.querySelector<HTMLElement>(FOCUSABLE) ?? element).focus({ preventScroll: true });
  return {
    close() {
      element.removeEventListener('keydown', onKey);
      element.hidden = true;
      if (opener?.isConnected) opener.focus({ preventScroll: true });
    },
  };
}
