// What the pay sheet tells the game that opened it: only to the game's registered origin (or Coinslot's
// own), only these messages.

/** Messages posted to the game (see game-demo/src/shop/pay-sheet-bridge.ts). */
export type SheetMessage =
  | { type: 'coinslot:connected'; gameToken: string }
  | { type: 'coinslot:purchase'; purchaseId: string; status: string }
  | { type: 'coinslot:cards-changed' }
  | { type: 'coinslot:close' };

/** The window that opened the sheet: the embedding game (iframe) or the opener (popup). */
function host(): Window | null {
  if (window.parent !== window) return window.parent;
  return (window.opener as Window | null) ?? null;
}

/** True when a game is listening (embedded or popup). */
export function hasHost(): boolean {
  return host() !== null;
}

/**
 * The game's origin: `?origin=`, which the server checked against the game's registered origins before
 * it served this page (an unregistered one gets an error page instead), else Coinslot's own origin.
 */
export function gameOrigin(): string {
  return new URLSearchParams(location.search).get('origin') ?? location.origin;
}

/**
 * Posts to the game; targetOrigin is that exact origin (never '*'), so the browser delivers nothing to
 * a page of any other origin, even one that opened or framed this window.
 */
export function tell(message: SheetMessage): boolean {
  const target = host();
  if (!target) return false;
  target.postMessage(message, gameOrigin());
  return true;
}

/** Asks the game to close the sheet (or closes the popup). */
export function closeSheet(): void {
  if (!tell({ type: 'coinslot:close' })) window.close();
  else if (window.parent === window) window.close();
}
