import { randomBytes } from 'node:crypto';
import { openDatabase, type DatabaseHandle, type Executor } from '../../../src/db/client.js';
import {
  developers,
  games,
  gameCurrencies,
  items,
  itemPrices,
  players,
  type ItemKind,
} from '../../../src/db/schema/index.js';
import { newId } from '../../../src/shared/ids.js';
import { systemClock } from '../../../src/shared/clock.js';
import type { Principal } from '../../../src/shared/principal.js';
import type { Deps, ServiceContext } from '../../../src/modules/service-context.js';
import { testDatabaseUrl } from '../../helpers/env.js';

/** A pg pool on the test database (the real Postgres), for tests that call modules directly. */
export function openTestDatabase(poolSize = 20): Promise<DatabaseHandle> {
  return openDatabase({ url: testDatabaseUrl(), dataDir: '.data/test', poolSize });
}

const tag = () => randomBytes(5).toString('hex');

/** A developer and a game of theirs, with a virtual currency GEM; returns their ids. */
export async function makeGame(db: Executor, options: { feeBps?: number; currency?: string } = {}) {
  const developerId = newId();
  const gameId = newId();
  await db
    .insert(developers)
    .values({ id: developerId, email: `dev-${tag()}@example.test`, name: 'Ledger studio', passwordHash: 'x' });
  await db.insert(games).values({
    id: gameId,
    developerId,
    name: `Game ${tag()}`,
    defaultCurrency: options.currency ?? 'USD',
    platformFeeBps: options.feeBps ?? 3000,
  });
  await db.insert(gameCurrencies).values({ id: newId(), gameId, code: 'GEM', name: 'Gems' });
  return { developerId, gameId };
}

export async function makePlayer(db: Executor): Promise<string> {
  const id = newId();
  await db
    .insert(players)
    .values({ id, email: `player-${tag()}@example.test`, displayName: 'Player', passwordHash: 'x' });
  return id;
}

export async function makeItem(db: Executor, gameId: string, kind: ItemKind = 'CONSUMABLE'): Promise<string> {
  const id = newId();
  await db.insert(items).values({
    id,
    gameId,
    sku: `sku-${tag()}`,
    name: `Item ${kind}`,
    kind,
    ...(kind === 'CURRENCY_PACK' ? { grantsAmountMinor: 100, grantsCurrency: 'GEM' } : {}),
  });
  await db.insert(itemPrices).values({ itemId: id, currency: 'USD', amountMinor: 99 });
  return id;
}

/** Thrown to roll back a test's transaction after its assertions ran inside it. */
export class Rollback extends Error {}

/** Runs `body` in a transaction that is always rolled back (for deliberately corrupting the ledger). */
export async function inRolledBackTransaction(
  db: DatabaseHandle['db'],
  body: (tx: Executor) => Promise<void>,
): Promise<void> {
  await db
    .transaction(async (tx) => {
      await body(tx);
      throw new Rollback();
    })
    .catch((error) => {
      if (!(error instanceof Rollback)) throw error;
    });
}

/** A service context for calling module verbs directly as `principal` (only db and clock are real). */
export function serviceContext(db: DatabaseHandle['db'], principal: Principal): ServiceContext {
  const deps = { db, clock: systemClock } as unknown as Deps;
  return { deps, principal, requestId: `test-${tag()}`, ip: null };
}
