// Boots Comet Dodge: config, the Coinslot client, the game loop, the HUD and the shop.
import './styles.css';
import { createClient } from './api/client.js';
import { loadConfig, type GameConfig } from './config.js';
import { GameEngine, type HudState } from './game/engine.js';
import { attachInput } from './game/input.js';
import { Renderer } from './game/render.js';
import { DEFAULT_SKIN, skinForItem } from './game/skins.js';
import { effectOf } from './shop/catalog.js';
import { PaySheetBridge } from './shop/pay-sheet-bridge.js';
import { PurchaseFlow } from './shop/purchase-flow.js';
import { ShopView, type PlayerState } from './shop/shop-view.js';
import { session } from './session.js';
import { icon, type IconName } from './ui/icons.js';
import { h, Toaster } from './ui/toast.js';

const GAME_NAME = 'Comet Dodge';

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
  try {
    config = await loadConfig();
  } catch (error) {
    showBootError(screen, error instanceof Error ? error.message : String(error));
    return;
  }

  const client = createClient({
    endpoint: config.endpoint,
    credential: () => session.gameToken() ?? config.publishableKey,
  });
  const sheet = new PaySheetBridge(app, config.payBase);
  const flow = new PurchaseFlow({ client, gameId: config.gameId, deviceId: session.deviceId() });

  let hud: HudState | null = null;
  const game = new GameEngine((state) => {
    hud = state;
    renderHud(state);
  });
  const renderer = new Renderer(canvas);

  const shop = new ShopView(app, {
    client,
    config,
    flow,
    sheet,
    toaster,
    gameName: GAME_NAME,
    connected: () => session.gameToken() !== null,
    setGameToken: (token) => session.setGameToken(token),
    apply: (purchase) => {
      const effect = effectOf(purchase.item);
      if (effect === 'life') game.addLives(purchase.quantity);
      else if (effect === 'shield') game.addShields(purchase.quantity);
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
    pauseButton.setAttribute('aria-label', state.phase === 'paused' ? 'Resume' : 'Pause');
    pauseButton.textContent = state.phase === 'paused' ? '▶' : 'II';
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
    const key = `${state.phase}|${covered}|${state.phase === 'over' ? state.score : ''}`;
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
      const life = h('button', { type: 'button', class: 'button big accent' }, 'Continue: get an extra life');
      life.addEventListener('click', () => shop.open('life'));
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
  void shop.loadCatalog();
  void shop.refreshPlayer();
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
