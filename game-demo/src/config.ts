/** Which Coinslot game this is and how to reach Coinslot. */
export interface GameConfig {
  readonly gameId: string;
  readonly publishableKey: string;
  readonly endpoint: string;
  /** Where Coinslot's pay sheet lives (same origin as the API in the demo). */
  readonly payBase: string;
}

/**
 * Reads the config: `?gameId=&publishableKey=` in the URL win (handy for a second game), else
 * `/demo-config.json`, which Coinslot serves for the seeded demo game.
 */
export async function loadConfig(): Promise<GameConfig> {
  const params = new URLSearchParams(location.search);
  let gameId = params.get('gameId');
  let publishableKey = params.get('publishableKey');
  if (!gameId || !publishableKey) {
    const response = await fetch('/demo-config.json', { headers: { accept: 'application/json' }, cache: 'no-store' });
    if (!response.ok) throw new Error(`The demo game is not configured (${response.status}).`);
    const body = (await response.json()) as { gameId?: string; publishableKey?: string };
    gameId = gameId ?? body.gameId ?? null;
    publishableKey = publishableKey ?? body.publishableKey ?? null;
  }
  if (!gameId || !publishableKey) throw new Error('The demo game is not configured: gameId or publishableKey missing.');
  return { gameId, publishableKey, endpoint: '/graphql', payBase: '/pay/' };
}
