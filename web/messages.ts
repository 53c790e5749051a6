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
 * Redirect mode (`coinslot.confirm(id, { mode: 'redirect' })`): the game sent this tab here with a
 * `redirect_uri` the server checked against the game's registrations before serving the page, and a
 * `state`; closing the sheet sends the tab back there with the purchase's last status.
 */
function returnTo(): { uri: string; state: string } | null {
  const params = new URLSearchParams(location.search);
  const uri = params.get('redirect_uri');
  return uri && params.has('state') && host() === null ? { uri, state: params.get('state') ?? '' } : null;
}

/** The last purchase outcome told, for the way back in redirect mode. */
let outcome: { purchaseId: string; status: string } | null = null;

/**
 * Posts to the game; targetOrigin is that exact origin (never '*'), so the browser delivers nothing to
 * a page of any other origin, even one that opened or framed this window. In redirect mode a purchase's
 * outcome is kept for the way back instead.
 */
export function tell(message: SheetMessage): boolean {
  const target = host();
  if (!target) {
    if (!returnTo()) return false;
    if (message.type === 'coinslot:purchase') outcome = { purchaseId: message.purchaseId, status: message.status };
    return true;
  }
  target.postMessage(message, gameOrigin());
  return true;
}

/** Asks the game to close the sheet (or closes the popup; in redirect mode, goes back to the game). */
export function closeSheet(): void {
  const back = returnTo();
  if (back) {
    const url = new URL(back.uri);
    const purchaseId = outcome?.purchaseId ?? /^\/pay\/([^/?]+)/.exec(location.pathname)?.[1];
    if (purchaseId && purchaseId !== 'cards') url.searchParams.set('purchase_id', decodeURIComponent(purchaseId));
    if (outcome) url.searchParams.set('status', outcome.status);
    url.searchParams.set('state', back.state);
    location.assign(url.href);
    return;
  }
  if (!tell({ type: 'coinslot:close' })) window.close();
  else if (window.parent === window) window.close();
}
