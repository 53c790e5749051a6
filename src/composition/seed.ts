import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { developers, games } from '../db/schema/index.js';
import { signUpDeveloper, signUpDeveloperInput } from '../modules/accounts/index.js';
import {
  createGame,
  createGameInput,
  defineCurrency,
  defineCurrencyInput,
  rotateGameKeys,
  updateGame,
  updateGameInput,
} from '../modules/games/index.js';
import { createItem, createItemInput } from '../modules/catalog/index.js';
import { parseInput } from '../shared/validation.js';
import type { Deps, ServiceContext } from '../modules/service-context.js';

export const DEMO_DEVELOPER_EMAIL = 'demo@coinslot.dev';

/** One seeded demo game and its keys (kept here because Coinslot stores keys hashed). */
export interface DemoGameInfo {
  readonly gameId: string;
  readonly publishableKey: string;
  readonly secretKey: string;
}

/** What the demo needs to find again across restarts. */
export interface DemoInfo extends DemoGameInfo {
  readonly developerEmail: string;
  readonly developerPassword: string;
  /** The second demo game (its own catalog and look), on its own site. */
  readonly second?: DemoGameInfo;
}

const FIRST_GAME = 'Comet Dodge';
const SECOND_GAME = 'Star Garden';

type ItemInput = Record<string, unknown>;

/** Comet Dodge: items of every kind priced in USD, and a GEM currency with items priced in it. */
function cometDodgeItems(): ItemInput[] {
  const usd = (amount: string) => [{ amount, currency: 'USD' }];
  const gem = (amount: string) => [{ amount, currency: 'GEM' }];
  return [
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
  ];
}

/** Star Garden: another studio's game, in EUR with its own SEED currency and a smaller catalog. */
function starGardenItems(): ItemInput[] {
  const eur = (amount: string) => [{ amount, currency: 'EUR' }];
  return [
    {
      sku: 'heart-bloom',
      name: 'Heart bloom',
      description: 'A heart that grows back one life.',
      kind: 'CONSUMABLE',
      prices: eur('149'),
    },
    {
      sku: 'rose-petals',
      name: 'Rose petals',
      description: 'Your seed wears pink.',
      kind: 'DURABLE',
      prices: eur('399'),
    },
    {
      sku: 'seed-bag',
      name: 'Bag of 200 seeds',
      description: 'Seeds to spend in the garden shop.',
      kind: 'CURRENCY_PACK',
      prices: eur('299'),
      grants: { amount: '200', currency: 'SEED' },
    },
    {
      sku: 'leaf-shield',
      name: 'Leaf shield',
      description: 'A leaf that takes one hit.',
      kind: 'CONSUMABLE',
      prices: [{ amount: '40', currency: 'SEED' }],
    },
  ];
}

async function createDemoGame(ctx: ServiceContext, second: boolean): Promise<DemoGameInfo> {
  // The game, its currency and items as a developer would send them, parsed as the API parses them.
  const production = ctx.deps.config.NODE_ENV === 'production';
  const { game, secretKey, publishableKey } = await createGame(
    ctx,
    parseInput(createGameInput(production), {
      name: second ? SECOND_GAME : FIRST_GAME,
      defaultCurrency: second ? 'EUR' : 'USD',
    }),
  );
  const currency = second ? { code: 'SEED', name: 'Seeds' } : { code: 'GEM', name: 'Gems' };
  await defineCurrency(ctx, parseInput(defineCurrencyInput, { gameId: game.id, ...currency }));
  for (const item of second ? starGardenItems() : cometDodgeItems())
    await createItem(ctx, parseInput(createItemInput, { gameId: game.id, ...item }));
  return { gameId: game.id, publishableKey, secretKey };
}

function asDeveloper(deps: Deps, developerId: string): ServiceContext {
  return { deps, principal: { kind: 'developer', developerId, sessionId: 'seed' }, requestId: 'seed', ip: null };
}

/**
 * Seeds, on an empty database, a demo developer with two games (Comet Dodge in USD with GEM, Star
 * Garden in EUR with SEED); keeps their keys in DATA_DIR/demo.json. A database seeded before the second
 * game existed gets it on the next start.
 */
export async function seedDemo(deps: Deps, dataDir: string): Promise<DemoInfo | null> {
  const file = join(dataDir, 'demo.json');
  const [demo] = await deps.db.select().from(developers).where(eq(developers.email, DEMO_DEVELOPER_EMAIL)).limit(1);
  const anonymous: ServiceContext = { deps, principal: { kind: 'anonymous' }, requestId: 'seed', ip: null };
  const save = (info: DemoInfo): DemoInfo => {
    writeFileSync(file, JSON.stringify(info, null, 2), { mode: 0o600 });
    return info;
  };

  if (demo) {
    const ctx = asDeveloper(deps, demo.id);
    const known = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as DemoInfo) : null;
    // Keys lost (another DATA_DIR): new keys for the seeded games.
    const keysOf = async (name: string): Promise<DemoGameInfo | null> => {
      const [game] = await deps.db
        .select()
        .from(games)
        .where(and(eq(games.developerId, demo.id), eq(games.name, name)))
        .limit(1);
      if (!game) return null;
      return { gameId: game.id, ...(await rotateGameKeys(ctx, { gameId: game.id })) };
    };
    let info: DemoInfo | null = known;
    if (!info) {
      const first = await keysOf(FIRST_GAME);
      if (!first) return null;
      info = { developerEmail: DEMO_DEVELOPER_EMAIL, developerPassword: '(unchanged; see the first start)', ...first };
    }
    if (!info.second) info = { ...info, second: (await keysOf(SECOND_GAME)) ?? (await createDemoGame(ctx, true)) };
    return info === known ? info : save(info);
  }
  if ((await deps.db.$count(developers)) > 0) return null;

  const developerPassword = randomBytes(12).toString('base64url');
  const { developer } = await signUpDeveloper(
    anonymous,
    parseInput(signUpDeveloperInput, {
      email: DEMO_DEVELOPER_EMAIL,
      password: developerPassword,
      name: 'Coinslot Demo Studio',
    }),
  );
  const ctx = asDeveloper(deps, developer.id);
  const first = await createDemoGame(ctx, false);
  const second = await createDemoGame(ctx, true);
  return save({ developerEmail: DEMO_DEVELOPER_EMAIL, developerPassword, ...first, second });
}

/**
 * Development only: registers where the demo games run (their sites' origins) on the seeded games, as
 * their developer would with updateGame. Production refuses http origins anyway, and never seeds.
 */
export async function registerDemoOrigins(
  deps: Deps,
  origins: readonly { readonly gameId: string; readonly origin: string }[],
): Promise<void> {
  if (deps.config.NODE_ENV === 'production') throw new Error('demo origins are for development only');
  for (const { gameId, origin } of origins) {
    const [game] = await deps.db.select().from(games).where(eq(games.id, gameId)).limit(1);
    if (!game) continue;
    await updateGame(
      asDeveloper(deps, game.developerId),
      parseInput(updateGameInput(false), { gameId, allowedOrigins: [origin], redirectUris: [] }),
    );
  }
}
