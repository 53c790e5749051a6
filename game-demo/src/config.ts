import type * as CoinslotSdk from '../../src/sdk/coinslot.js';

/** Which Coinslot game this is, how to reach Coinslot, and how the game dresses. */
export interface GameConfig {
  readonly gameId: string;
  readonly publishableKey: string;
  /** Coinslot's origin (another site than the game's). */
  readonly apiOrigin: string;
  /** Coinslot's public GraphQL API. */
  readonly endpoint: string;
  readonly name: string;
  readonly theme: 'comet' | 'garden';
}

/**
 * Reads the config: `/demo-config.json` from the game's own site (which says where Coinslot is and
 * which game this is); `?gameId=&publishableKey=&api=` in the URL win.
 */
export async function loadConfig(): Promise<GameConfig> {
  const params = new URLSearchParams(location.search);
  let body: Partial<GameConfig> = {};
  const response = await fetch('/demo-config.json', { headers: { accept: 'application/json' }, cache: 'no-store' });
  if (response.ok) body = (await response.json()) as Partial<GameConfig>;
  const gameId = params.get('gameId') ?? body.gameId;
  const publishableKey = params.get('publishableKey') ?? body.publishableKey;
  const apiOrigin = params.get('api') ?? body.apiOrigin;
  if (!gameId || !publishableKey || !apiOrigin)
    throw new Error(
      `The demo game is not configured (${response.status}): gameId, publishableKey or apiOrigin missing.`,
    );
  const origin = new URL(apiOrigin).origin;
  return {
    gameId,
    publishableKey,
    apiOrigin: origin,
    endpoint: `${origin}/graphql`,
    name: body.name ?? 'Comet Dodge',
    theme: body.theme === 'garden' ? 'garden' : 'comet',
  };
}

export type Coinslot = CoinslotSdk.Coinslot;
export type { CoinslotError } from '../../src/sdk/coinslot.js';

/**
 * Loads coinslot.js from Coinslot's origin, as a studio's game does with
 * `<script type="module">` or `import()`: the code comes from Coinslot, the types from the package.
 */
export async function loadCoinslot(config: GameConfig): Promise<Coinslot> {
  const sdk = (await import(/* @vite-ignore */ `${config.apiOrigin}/sdk/coinslot.js`)) as typeof CoinslotSdk;
  return sdk.createCoinslot({ gameId: config.gameId, coinslotOrigin: config.apiOrigin });
}
