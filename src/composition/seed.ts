import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { developers, games } from '../db/schema/index.js';
import { signUpDeveloper } from '../modules/accounts/index.js';
import { createGame, defineCurrency, rotateGameKeys } from '../modules/games/index.js';
import { createItem } from '../modules/catalog/index.js';
import type { Deps, ServiceContext } from '../modules/service-context.js';

export const DEMO_DEVELOPER_EMAIL = 'demo@coinslot.dev';

/** What the demo needs to find again across restarts (keys are stored hashed, so they are kept here). */
export interface DemoInfo {
  readonly developerEmail: string;
  readonly developerPassword: string;
  readonly gameId: string;
  readonly publishableKey: string;
  readonly secretKey: string;
}

/**
 * Seeds, on an empty database, a demo developer and game with items of every kind priced in USD
 * and a GEM currency with items priced in it; keeps the demo keys in DATA_DIR/demo.json.
 */
export async function seedDemo(deps: Deps, dataDir: string): Promise<DemoInfo | null> {
  const file = join(dataDir, 'demo.json');
  const [demo] = await deps.db.select().from(developers).where(eq(developers.email, DEMO_DEVELOPER_EMAIL)).limit(1);
  if (demo && existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as DemoInfo;
  const anonymous: ServiceContext = { deps, principal: { kind: 'anonymous' }, requestId: 'seed', ip: null };

  if (demo) {
    // Seeded before, but the keys file is gone (another DATA_DIR): new keys for the demo game.
    const [game] = await deps.db.select().from(games).where(eq(games.developerId, demo.id)).limit(1);
    if (!game) return null;
    const asDeveloper: ServiceContext = {
      ...anonymous,
      principal: { kind: 'developer', developerId: demo.id, sessionId: 'seed' },
    };
    const keys = await rotateGameKeys(asDeveloper, { gameId: game.id });
    const info: DemoInfo = {
      developerEmail: DEMO_DEVELOPER_EMAIL,
      developerPassword: '(unchanged; see the first start)',
      gameId: game.id,
      ...keys,
    };
    writeFileSync(file, JSON.stringify(info, null, 2), { mode: 0o600 });
    return info;
  }
  if ((await deps.db.$count(developers)) > 0) return null;

  const developerPassword = randomBytes(12).toString('base64url');
  const { developer } = await signUpDeveloper(anonymous, {
    email: DEMO_DEVELOPER_EMAIL,
    password: developerPassword,
    name: 'Coinslot Demo Studio',
  });
  const ctx: ServiceContext = {
    ...anonymous,
    principal: { kind: 'developer', developerId: developer.id, sessionId: 'seed' },
  };
  const { game, secretKey, publishableKey } = await createGame(ctx, { name: 'Comet Dodge', defaultCurrency: 'USD' });
  await defineCurrency(ctx, { gameId: game.id, code: 'GEM', name: 'Gems' });
  const usd = (amount: string) => [{ amount, currency: 'USD' }];
  const gem = (amount: string) => [{ amount, currency: 'GEM' }];
  for (const item of [
    {
      sku: 'extra-life',
      name: 'Extra life',
      description: 'One more try when you fall.',
      kind: 'CONSUMABLE',
      prices: usd('99'),
    },
    {
      sku: 'golden-skin',
      name: 'Golden skin',
      description: 'Shine while you hop.',
      kind: 'DURABLE',
      prices: usd('499'),
    },
    {
      sku: 'gems-500',
      name: '500 gems',
      description: 'A pouch of gems to spend in the shop.',
      kind: 'CURRENCY_PACK',
      prices: usd('499'),
      grants: { amount: '500', currency: 'GEM' },
    },
    {
      sku: 'gems-3000',
      name: 'Treasure chest: 3000 gems',
      description: 'The best value.',
      kind: 'CURRENCY_PACK',
      prices: usd('1999'),
      grants: { amount: '3000', currency: 'GEM' },
    },
    { sku: 'shield', name: 'Shield', description: 'Survive one hit.', kind: 'CONSUMABLE', prices: gem('50') },
    { sku: 'neon-skin', name: 'Neon skin', description: 'Glow in the dark.', kind: 'DURABLE', prices: gem('300') },
  ]) {
    await createItem(ctx, { gameId: game.id, ...item });
  }
  const info: DemoInfo = {
    developerEmail: DEMO_DEVELOPER_EMAIL,
    developerPassword,
    gameId: game.id,
    publishableKey,
    secretKey,
  };
  writeFileSync(file, JSON.stringify(info, null, 2), { mode: 0o600 });
  return info;
}
