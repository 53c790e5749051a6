// Keyboard and touch/mouse steering: arrows or A/D move, space/up dashes; swipe, or tap a side third / the middle.
import type { GameEngine } from './engine.js';

export interface InputOptions {
  /** False while a dialog (shop, pay sheet) is open: the game ignores keys then. */
  readonly enabled: () => boolean;
  readonly onPauseToggle: () => void;
}

const SWIPE_MIN = 28;

/** Wires input to the engine; returns a function that removes every listener. */
export function attachInput(game: GameEngine, surface: HTMLElement, options: InputOptions): () => void {
  const onKey = (event: KeyboardEvent): void => {
    if (!options.enabled() || event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    const target = event.target as HTMLElement | null;
    const inField = !!target?.closest('input, textarea, select, [contenteditable="true"]');
    const onControl = inField || !!target?.closest('button, a, [role="button"]');
    if (inField) return;
    switch (event.key) {
      case 'ArrowLeft':
      case 'a':
      case 'A':
        game.move(-1);
        break;
      case 'ArrowRight':
      case 'd':
      case 'D':
        game.move(1);
        break;
      case ' ':
      case 'ArrowUp':
      case 'w':
      case 'W':
      case 'Enter':
        // On a focused button, space and enter press the button instead.
        if (onControl && (event.key === ' ' || event.key === 'Enter')) return;
        game.action();
        break;
      case 'p':
      case 'P':
      case 'Escape':
        options.onPauseToggle();
        break;
      default:
        return;
    }
    event.preventDefault();
  };

  let start: { x: number; y: number; id: number } | null = null;
  // Taps on the overlay's buttons are theirs (Shop, Continue…), not steering or "start" taps.
  const onControl = (event: PointerEvent): boolean =>
    !!(event.target as Element | null)?.closest('button, a, input, select, textarea, label');
  const onDown = (event: PointerEvent): void => {
    if (!options.enabled() || !event.isPrimary || onControl(event)) return;
    start = { x: event.clientX, y: event.clientY, id: event.pointerId };
    surface.setPointerCapture?.(event.pointerId);
  };
  const onUp = (event: PointerEvent): void => {
    if (!start || start.id !== event.pointerId) return;
    const dx = event.clientX - start.x;
    const dy = event.clientY - start.y;
    start = null;
    if (!options.enabled()) return;
    if (game.phase !== 'running') {
      game.action();
      return;
    }
    if (Math.abs(dx) >= SWIPE_MIN && Math.abs(dx) > Math.abs(dy)) {
      game.move(dx < 0 ? -1 : 1);
    } else if (dy <= -SWIPE_MIN) {
      game.dash();
    } else {
      const box = surface.getBoundingClientRect();
      const third = (event.clientX - box.left) / box.width;
      if (third < 1 / 3) game.move(-1);
      else if (third > 2 / 3) game.move(1);
      else game.dash();
    }
  };
  const onCancel = (): void => {
    start = null;
  };

  window.addEventListener('keydown', onKey);
  surface.addEventListener('pointerdown', onDown);
  surface.addEventListener('pointerup', onUp);
  surface.addEventListener('pointercancel', onCancel);
  return () => {
    window.removeEventListener('keydown', onKey);
    surface.removeEventListener('pointerdown', onDown);
    surface.removeEventListener('pointerup', onUp);
    surface.removeEventListener('pointercancel', onCancel);
  };
}
