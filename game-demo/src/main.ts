// Boots the demo game (Comet Dodge, or Star Garden in its own dress): config, coinslot.js, the Coinslot
// GraphQL client, the game loop, the HUD and the shop.
import './styles.css';
import { createClient } from './api/client.js';
import { loadCoinslot, loadConfig, type Coinslot, type GameConfig } from './config.js';
import { GameEngine, type HudState } from './game/engine.js';
import { attachInput } from './game/input.js';
import { Renderer } from './game/render.js';
import { DEFAULT_SKIN, skinForItem } from './game/skins.js';
import { MAX_LIVES } from './game/engine.js';
import { effectOf } from './shop/catalog.js';
import { Inventory } from './shop/inventory.js';
import { PurchaseFlow } from './shop/purchase-flow.js';
import { ShopView, type PlayerState } from './shop/shop-view.js';
import { session } from './session.js';
import { icon, type IconName } from './ui/icons.js';
import { h, Toaster } from './ui/toast.js';

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from index.html`);
  return el as T;
}

async function boot(): Promise<void> {
  const app = byId('app');
  const canvas = byId<HTMLCanvasElement>('playfield');
  const stage = byId('stage');
  const screen = byId('screen');
  const livesEl = byId('lives');
  const scoreEl = byId('score');
  const gemsEl = byId('gems');
  const shieldsEl = byId('shields');
  const pauseButton = byId<HTMLButtonElement>('pause');
  const shopButton = byId<HTMLButtonElement>('open-shop');
  const toaster = new Toaster(byId('toast'));
  for (const slot of document.querySelectorAll<HTMLElement>('[data-icon]'))
    slot.replaceWith(icon(slot.dataset.icon as IconName));

  let config: GameConfig;
  let coinslot: Coinslot;
  try {
    config = await loadConfig();
    applyLook(config);
    coinslot = await loadCoinslot(config);
  } catch (error) {
    showBootError(screen, error instanceof Error ? error.message : String(error));
    return;
  }
  // Back from Coinslot after a redirect (the browser blocked the popup, so coinslot.js sent this tab
  // to Coinslot instead): the answer in the address becomes the game token, or says why not.
  let returned: { text: string; tone: 'good' | 'info' | 'bad' } | null = null;
  try {
    const result = await coinslot.completeRedirect();
    if (result) {
      session.setGameToken(result.accessToken);
      returned = { text: 'Coinslot connected', tone: 'good' };
    }
    // Back from confirming a purchase in Coinslot (redirect mode): say how it ended; the shop reads
    // the player's items from Coinslot at start, which is the truth.
    const confirmed = coinslot.completeConfirmRedirect();
    if (confirmed)
      returned =
        confirmed.status === 'SUCCEEDED'
          ? { text: 'Paid in Coinslot. Enjoy!', tone: 'good' }
          : confirmed.status === 'FAILED'
            ? { text: 'Payment declined. Nothing was charged.', tone: 'bad' }
            : { text: 'Not paid, nothing was charged.', tone: 'info' };
  } catch (error) {
    returned =
      (error as { code?: string } | null)?.code === 'access_denied'
        ? { text: 'Not connected. Connect Coinslot when you want to buy.', tone: 'info' }
        : {
            text: `Could not connect Coinslot: ${error instanceof Error ? error.message : String(error)}`,
            tone: 'bad',
          };
  }

  const client = createClient({
    endpoint: config.endpoint,
    credential: () => session.gameToken() ?? config.publishableKey,
  });
  const GAME_NAME = config.name;
  // Coinslot's window is open (connect, confirm, cards): the game waits.
  const sheet = {
    get isOpen(): boolean {
      return coinslot.isOpen;
    },
  };
  coinslot.on('closed', () => {
    lastScreen = '';
    renderScreen();
  });
  const flow = new PurchaseFlow({ client, gameId: config.gameId, deviceId: session.deviceId() });
  const inventory = new Inventory({ client, gameId: config.gameId });
  const extraLivesEl = h('span', { class: 'extra-lives', id: 'extra-lives', hidden: true });
  livesEl.after(extraLivesEl);

  let hud: HudState | null = null;
  const game = new GameEngine((state) => {
    hud = state;
    renderHud(state);
  });
  const renderer = new Renderer(canvas);
  // A shield that took a hit is used up at Coinslot too; the engine already spent it in play.
  game.onShieldUsed = () => {
    void inventory.use('shield').then((outcome) => {
      if (outcome.kind === 'not-connected') shop.disconnected();
      game.setShields(inventory.held('shield'));
    });
  };

  /** Why an extra life cannot go into play now, or null. */
  const lifeUseBlocked = (): string | null => {
    if (inventory.held('life') <= 0) return 'None left.';
    if (game.phase === 'ready') return 'Start a run to use it.';
    if (game.lives >= MAX_LIVES) return `Your lives are full (${MAX_LIVES}).`;
    return null;
  };

  /** Uses up one extra life at Coinslot, then adds it to the run (never the other way round). */
  async function useLife(): Promise<void> {
    if (lifeUseBlocked() !== null) return;
    const outcome = await inventory.use('life');
    switch (outcome.kind) {
      case 'used':
        game.addLives(1);
        toaster.show(`Extra life used! ${inventory.held('life')} left.`, 'good');
        break;
      case 'none-held':
        toaster.show('No extra lives left. Get one in the shop.', 'info');
        break;
      case 'not-connected':
        shop.disconnected();
        break;
      case 'retry':
        toaster.show('Could not reach Coinslot. Your life is safe; try again.', 'bad');
        break;
      case 'error':
        toaster.show(outcome.message, 'bad');
        break;
    }
    renderExtraLives();
    shop.refreshRows();
    lastScreen = '';
    renderScreen();
  }

  function renderExtraLives(): void {
    const extra = inventory.state ? inventory.held('life') : 0;
    extraLivesEl.hidden = extra === 0;
    extraLivesEl.replaceChildren(h('span', { class: 'sr-only' }, ', extra lives:'), `+${extra}`);
    extraLivesEl.title = `${extra} extra ${extra === 1 ? 'life' : 'lives'} saved in Coinslot`;
    renderScreen();
  }

  const shop = new ShopView(app, {
    client,
    config,
    flow,
    inventory,
    livesRoom: () => game.livesRoom - inventory.held('life'),
    lifeUseBlocked,
    useLife,
    coinslot,
    toaster,
    gameName: GAME_NAME,
    connected: () => session.gameToken() !== null,
    setGameToken: (token) => session.setGameToken(token),
    apply: (purchase) => {
      const effect = effectOf(purchase.item);
      // Lives and shields land in Coinslot's inventory and stay there until used; the shop reloads it.
      // A life bought at game over is what the player wanted to continue with: use it at once.
      if (effect === 'life' && game.phase === 'over') void inventory.load().then(() => useLife());
      else if (effect === 'skin') wear(purchase.item);
      // Gems: the shop reloads the wallet, the server's balance is the truth.
    },
    wornSkin: () => game.skin.id,
    wear: (item) => wear(item),
    onPlayerState: (state) => renderGems(state),
    onOpenChange: (open) => {
      if (open) game.pause();
      shopButton.setAttribute('aria-expanded', String(open));
      renderScreen();
    },
  });

  function wear(item: Parameters<typeof skinForItem>[0] | null): void {
    game.wear(item ? skinForItem(item) : DEFAULT_SKIN);
    session.setSkinId(item ? item.id : null);
  }

  function renderGems(state: PlayerState | null): void {
    game.setShields(state ? inventory.held('shield') : 0);
    renderExtraLives();
    const gems = state ? shop.gemBalance() : null;
    gemsEl.textContent = gems ? gems.formatted.replace(/\s*[A-Z]{3,}$/, '') : '—';
    gemsEl.title = gems ? gems.formatted : 'Connect Coinslot to see your gems';
    // Wear the saved skin once we know the player still owns it.
    const saved = session.skinId();
    const entry = saved ? state?.inventory.find((e) => e.item.id === saved && e.quantity > 0) : undefined;
    if (entry && game.skin.id !== entry.item.id) game.wear(skinForItem(entry.item));
  }

  function renderHud(state: HudState): void {
    livesEl.textContent = String(state.lives);
    shieldsEl.hidden = state.shields === 0;
    shieldsEl.replaceChildren(icon('shield', 18), h('span', { class: 'sr-only' }, ', shields:'), String(state.shields));
    scoreEl.textContent = String(state.score);
    // An icon only: the accessible name is the label, with no visible text to contradict it.
    pauseButton.setAttribute('aria-label', state.phase === 'paused' ? 'Resume' : 'Pause');
    pauseButton.replaceChildren(icon(state.phase === 'paused' ? 'play' : 'pause', 18));
    pauseButton.disabled = state.phase !== 'running' && state.phase !== 'paused';
    document.body.dataset.phase = state.phase;
    canvas.setAttribute(
      'aria-label',
      `${GAME_NAME} playfield: steer your comet between three lanes, away from rocks and into stars. Your comet: ${state.skin.name}.`,
    );
    renderScreen();
  }

  let lastScreen = '';
  function renderScreen(): void {
    const state = hud;
    if (!state) return;
    const covered = shop.isOpen || sheet.isOpen;
    const key = `${state.phase}|${covered}|${state.phase === 'over' ? `${state.score}|${inventory.held('life')}` : ''}`;
    if (key === lastScreen) return;
    lastScreen = key;
    if (state.phase === 'running' || covered) {
      screen.hidden = true;
      return;
    }
    const play = h('button', { type: 'button', class: 'button primary big' });
    const openShop = h('button', { type: 'button', class: 'button big' }, 'Shop');
    openShop.addEventListener('click', () => shop.open());
    let body: HTMLElement[];
    if (state.phase === 'ready') {
      play.textContent = 'Play';
      play.addEventListener('click', () => game.start());
      body = [
        h('h1', {}, GAME_NAME),
        h('p', {}, 'Dodge the rocks, catch the stars.'),
        h(
          'ul',
          { class: 'help' },
          h('li', {}, '← → or swipe / tap a side: change lane'),
          h('li', {}, 'Space, ↑ or tap the middle: dash through'),
        ),
      ];
    } else if (state.phase === 'paused') {
      play.textContent = 'Resume';
      play.addEventListener('click', () => game.resume());
      body = [h('h2', {}, 'Paused')];
    } else {
      play.textContent = 'Play again';
      play.addEventListener('click', () => game.start());
      const saved = inventory.held('life');
      const life = h(
        'button',
        { type: 'button', class: 'button big accent' },
        saved > 0 ? `Continue: use an extra life (${saved} left)` : 'Continue: get an extra life',
      );
      life.addEventListener('click', () => (saved > 0 ? void useLife() : shop.open('life')));
      body = [h('h2', {}, 'Game over'), h('p', { class: 'final' }, `Score ${state.score} · Best ${state.best}`), life];
    }
    screen.replaceChildren(
      h('div', { class: 'screen-card' }, ...body, h('div', { class: 'screen-actions' }, play, openShop)),
    );
    screen.hidden = false;
    play.focus({ preventScroll: true });
  }

  const togglePause = (): void => {
    if (shop.isOpen || sheet.isOpen) return;
    if (game.phase === 'running') game.pause();
    else if (game.phase === 'paused') game.resume();
  };
  pauseButton.addEventListener('click', togglePause);
  shopButton.addEventListener('click', () => shop.open());
  // The Shop button stays disabled until the game has loaded its config and coinslot.js: a tap before
  // that would otherwise do nothing at all.
  shopButton.disabled = false;
  attachInput(game, stage, { enabled: () => !shop.isOpen && !sheet.isOpen, onPauseToggle: togglePause });
  // Leaving the tab pauses, so nobody loses a life while away.
  document.addEventListener('visibilitychange', () => {
    if (document.hidden) game.pause();
  });

  const resize = (): void => {
    const box = canvas.getBoundingClientRect();
    renderer.resize(box.width, box.height);
    game.resize(box.width, box.height);
  };
  new ResizeObserver(resize).observe(canvas);
  resize();

  let last = performance.now();
  const frame = (now: number): void => {
    game.update((now - last) / 1000);
    last = now;
    renderer.draw(game, now);
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);

  hud = {
    phase: game.phase,
    lives: game.lives,
    shields: game.shields,
    score: game.score,
    best: game.best,
    skin: game.skin,
  };
  renderHud(hud);
  document.body.dataset.ready = 'true';
  if (returned) toaster.show(returned.text, returned.tone, 4000);
  void shop.loadCatalog();
  void shop.refreshPlayer();

  // Gifts from friends arrive in Coinslot's inventory: look now and then while the game is in view.
  const GIFT_POLL_MS = 4000;
  const lookForGifts = async (): Promise<void> => {
    // While one of our own purchases is landing, a rise in the inventory is not a gift.
    if (document.hidden || !session.gameToken() || sheet.isOpen || shop.ownRefreshes > 0) return;
    const before = new Map((inventory.state?.inventory ?? []).map((e) => [e.item.id, e.quantity] as const));
    const hadState = inventory.state !== null;
    const ownChanges = shop.ownChanges;
    await shop.refreshPlayer();
    // A purchase of our own that landed meanwhile is not a gift.
    if (!hadState || !inventory.state || shop.ownChanges !== ownChanges) return;
    for (const entry of inventory.state.inventory) {
      const was = before.get(entry.item.id) ?? 0;
      if (entry.quantity > was)
        toaster.show(`A gift arrived: ${entry.item.name} × ${entry.quantity - was}!`, 'good', 4000);
    }
  };
  window.setInterval(() => void lookForGifts(), GIFT_POLL_MS);
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) void lookForGifts();
  });
}

/** The game's name and look (Comet Dodge's night sky, or Star Garden's). */
function applyLook(config: GameConfig): void {
  document.documentElement.dataset.theme = config.theme;
  document.title = `${config.name} · a Coinslot demo`;
  for (const el of document.querySelectorAll<HTMLElement>('[data-game-name]')) el.textContent = config.name;
}

function showBootError(screen: HTMLElement, message: string): void {
  const retry = h('button', { type: 'button', class: 'button primary big' }, 'Try again');
  retry.addEventListener('click', () => location.reload());
  screen.replaceChildren(
    h('div', { class: 'screen-card', role: 'alert' }, h('h2', {}, 'Could not start'), h('p', {}, message), retry),
  );
  screen.hidden = false;
  retry.focus();
}

void boot();
