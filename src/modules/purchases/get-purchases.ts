import { and, eq, gte, inArray, lt, type SQL } from 'drizzle-orm';
import { union } from 'drizzle-orm/pg-core';
import { games, purchases, type PurchaseStatus } from '../../db/schema/index.js';
import { ForbiddenError, NotFoundError, UnauthenticatedError } from '../../shared/errors.js';
import { isUuid } from '../../shared/ids.js';
import { findGame } from '../games/index.js';
import { keysetConditions, keysetOrder, type KeysetPage } from '../../db/keyset.js';
import type { ServiceContext } from '../service-context.js';
import { canReadPurchase } from './access.js';
import type { PurchaseRow } from './purchase-row.js';
import { SETTLEMENT_FAILED } from './settlement-failure.js';

/** Purchases by id in the order asked, null where absent or not visible to the caller (dataloaders, node). */
export async function getPurchasesByIds(ctx: ServiceContext, ids: readonly string[]): Promise<(PurchaseRow | null)[]> {
  const wanted = [...new Set(ids.filter(isUuid))];
  const rows = wanted.length
    ? await ctx.deps.db
        .select({ purchase: purchases, developerId: games.developerId })
        .from(purchases)
        .innerJoin(games, eq(games.id, purchases.gameId))
        .where(inArray(purchases.id, wanted))
    : [];
  const visible = new Map(
    rows
      .filter((r) => canReadPurchase(ctx.principal, r.purchase, r.developerId))
      .map((r) => [r.purchase.id, r.purchase]),
  );
  return ids.map((id) => visible.get(id) ?? null);
}

export async function getPurchase(ctx: ServiceContext, id: string): Promise<PurchaseRow | null> {
  const [row] = await getPurchasesByIds(ctx, [id]);
  return row ?? null;
}

export interface PurchaseFilter {
  readonly gameId: string;
  readonly status?: PurchaseStatus | null;
  readonly from?: Date | null;
  readonly to?: Date | null;
  /** For game keys, developers and operators: one player's purchases. */
  readonly playerId?: string | null;
}

/**
 * A page of a game's purchases, newest first. A player (session or game token) sees those they
 * bought or received; the game's secret key, its developer and operators see all of the game's.
 */
export async function listPurchases(
  ctx: ServiceContext,
  filter: PurchaseFilter,
  page: KeysetPage,
): Promise<PurchaseRow[]> {
  const { principal } = ctx;
  if (principal.kind === 'anonymous') throw new UnauthenticatedError();
  const game = await findGame(ctx.deps.db, filter.gameId);
  if (!game) throw new NotFoundError('Game');
  const conditions: (SQL | undefined)[] = [eq(purchases.gameId, game.id)];
  /** Whose purchases (bought or received), when the list is one player's. */
  let party: string | null = null;
  switch (principal.kind) {
    case 'player':
    case 'player_game': {
      if (principal.kind === 'player_game' && principal.gameId !== game.id) throw new NotFoundError('Game');
      party = principal.playerId;
      break;
    }
    case 'game_secret':
      if (principal.gameId !== game.id) throw new NotFoundError('Game');
      break;
    case 'developer':
      if (principal.developerId !== game.developerId) throw new NotFoundError('Game');
      break;
    case 'operator':
      break;
    default:
      throw new NotFoundError('Game');
  }
  if (filter.playerId && principal.kind !== 'player' && principal.kind !== 'player_game') party = filter.playerId;
  if (filter.status) conditions.push(eq(purchases.status, filter.status));
  if (filter.from) conditions.push(gte(purchases.createdAt, filter.from));
  if (filter.to) conditions.push(lt(purchases.createdAt, filter.to));
  // Newest first: the keyset helpers order oldest first, so invert the page's direction.
  const newestFirst: KeysetPage = {
    after: page.before,
    before: page.after,
    limit: page.limit,
    inverted: !page.inverted,
  };
  conditions.push(...keysetConditions(purchases.createdAt, purchases.id, newestFirst));
  const order = keysetOrder(purchases.createdAt, purchases.id, newestFirst);
  const { db } = ctx.deps;
  const pageOf = (...only: SQL[]) =>
    db
      .select()
      .from(purchases)
      .where(and(...conditions, ...only))
      .orderBy(...order)
      .limit(page.limit);
  if (party === null) return pageOf();
  // Bought or received: one page from each index ((player, game, created) and (recipient, game,
  // created)), merged, a purchase in both (bought for oneself) once. An OR of the two would leave
  // the plan to statistics, and on stale ones Postgres read the game's whole history instead. No
  // filter inside a branch: "recipient, not buyer" would walk all of a player's own purchases.
  return union(pageOf(eq(purchases.playerId, party)), pageOf(eq(purchases.recipientId, party)))
    .orderBy(...order) // drizzle names the columns unqualified here, as the union's own
    .limit(page.limit);
}

/**
 * The signed-in player's own history across every game, newest first: what they bought (for
 * themselves or as gifts) and what friends gave them. Player session only (the account page); a
 * game token sees its own game through listPurchases.
 */
export async function listPlayerPurchases(ctx: ServiceContext, page: KeysetPage): Promise<PurchaseRow[]> {
  const { principal } = ctx;
  if (principal.kind === 'anonymous') throw new UnauthenticatedError();
  if (principal.kind !== 'player') throw new ForbiddenError('Your history across games is for your Coinslot session.');
  const newestFirst: KeysetPage = {
    after: page.before,
    before: page.after,
    limit: page.limit,
    inverted: !page.inverted,
  };
  const conditions = keysetConditions(purchases.createdAt, purchases.id, newestFirst);
  const order = keysetOrder(purchases.createdAt, purchases.id, newestFirst);
  const pageOf = (only: SQL) =>
    ctx.deps.db
      .select()
      .from(purchases)
      .where(and(...conditions, only))
      .orderBy(...order)
      .limit(page.limit);
  // Bought or received, merged as in listPurchases (one index per side, a purchase for oneself once).
  return union(
    pageOf(eq(purchases.playerId, principal.playerId)),
    pageOf(eq(purchases.recipientId, principal.playerId)),
  )
    .orderBy(...order)
    .limit(page.limit);
}

/**
 * Purchases whose settlement kept failing after their charge and was given up (the charge voided,
 * the purchase FAILED `settlement_failed`), across every game, most recent first, for operators to
 * look into: the cause is in `failureReason`. Ordered by when they failed (`updatedAt`: a FAILED
 * purchase never changes again); the page's cursor carries that time.
 */
export async function listFailedSettlements(ctx: ServiceContext, page: KeysetPage): Promise<PurchaseRow[]> {
  const { principal } = ctx;
  if (principal.kind === 'anonymous') throw new UnauthenticatedError();
  if (principal.kind !== 'operator') throw new ForbiddenError('Only an operator may list failed settlements.');
  const newestFirst: KeysetPage = {
    after: page.before,
    before: page.after,
    limit: page.limit,
    inverted: !page.inverted,
  };
  return ctx.deps.db
    .select()
    .from(purchases)
    .where(
      and(
        eq(purchases.declineCode, SETTLEMENT_FAILED),
        ...keysetConditions(purchases.updatedAt, purchases.id, newestFirst),
      ),
    )
    .orderBy(...keysetOrder(purchases.updatedAt, purchases.id, newestFirst))
    .limit(page.limit);
}
