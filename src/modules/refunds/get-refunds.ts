import { and, asc, eq, gte, inArray, lt, type SQL } from 'drizzle-orm';
import { disputes, games, purchases, refunds, type RefundStatus } from '../../db/schema/index.js';
import { ForbiddenError, NotFoundError, UnauthenticatedError } from '../../shared/errors.js';
import { isUuid } from '../../shared/ids.js';
import type { Money } from '../../shared/money.js';
import { canManageGame, findGame, seesGameFees } from '../games/index.js';
import { keysetConditions, keysetOrder, type KeysetPage } from '../../db/keyset.js';
import { canReadPurchase } from '../purchases/index.js';
import type { ServiceContext } from '../service-context.js';
import type { DisputeRow, RefundRow } from './refund-rows.js';

export interface RefundFilter {
  /** One game; developers default to all their games, a game's secret key to its own, operators to all. */
  readonly gameId?: string | null;
  readonly purchaseId?: string | null;
  readonly from?: Date | null;
  readonly to?: Date | null;
}

export interface RefundListFilter extends RefundFilter {
  readonly status?: RefundStatus | null;
}

type Scoped = typeof refunds | typeof disputes;

/** Who sees which games' refunds and disputes: the developer their own, a game's secret key its own, operators all. */
async function scopeConditions(ctx: ServiceContext, table: Scoped, filter: RefundFilter): Promise<SQL[]> {
  const { principal } = ctx;
  if (principal.kind === 'anonymous') throw new UnauthenticatedError();
  if (principal.kind !== 'developer' && principal.kind !== 'operator' && principal.kind !== 'game_secret') {
    throw new ForbiddenError('Refunds and disputes are for the game, its developer and operators.');
  }
  const conditions: SQL[] = [];
  if (filter.gameId != null) {
    const game = await findGame(ctx.deps.db, filter.gameId);
    if (!game || !canManageGame(principal, game)) throw new NotFoundError('Game');
    conditions.push(eq(table.gameId, game.id));
  } else if (principal.kind === 'game_secret') {
    conditions.push(eq(table.gameId, principal.gameId));
  } else if (principal.kind === 'developer') {
    conditions.push(
      inArray(
        table.gameId,
        ctx.deps.db.select({ id: games.id }).from(games).where(eq(games.developerId, principal.developerId)),
      ),
    );
  }
  if (filter.purchaseId != null) {
    if (!isUuid(filter.purchaseId)) throw new NotFoundError('Purchase');
    conditions.push(eq(table.purchaseId, filter.purchaseId));
  }
  if (filter.from) conditions.push(gte(table.createdAt, filter.from));
  if (filter.to) conditions.push(lt(table.createdAt, filter.to));
  return conditions;
}

/** Newest first: the keyset helpers order oldest first, so the page's direction is inverted. */
function newestFirst(page: KeysetPage): KeysetPage {
  return { after: page.before, before: page.after, limit: page.limit, inverted: !page.inverted };
}

/** A page of refunds, newest first, within what the caller may see (see scopeConditions). */
export async function listRefunds(
  ctx: ServiceContext,
  filter: RefundListFilter,
  page: KeysetPage,
): Promise<RefundRow[]> {
  const conditions = await scopeConditions(ctx, refunds, filter);
  if (filter.status) conditions.push(eq(refunds.status, filter.status));
  const order = newestFirst(page);
  return ctx.deps.db
    .select()
    .from(refunds)
    .where(and(...conditions, ...keysetConditions(refunds.createdAt, refunds.id, order)))
    .orderBy(...keysetOrder(refunds.createdAt, refunds.id, order))
    .limit(page.limit);
}

/** A page of disputes, newest first, within what the caller may see. */
export async function listDisputes(ctx: ServiceContext, filter: RefundFilter, page: KeysetPage): Promise<DisputeRow[]> {
  const conditions = await scopeConditions(ctx, disputes, filter);
  const order = newestFirst(page);
  return ctx.deps.db
    .select()
    .from(disputes)
    .where(and(...conditions, ...keysetConditions(disputes.createdAt, disputes.id, order)))
    .orderBy(...keysetOrder(disputes.createdAt, disputes.id, order))
    .limit(page.limit);
}

/**
 * The refunds of each purchase, oldest first, for purchases the caller has already been allowed to
 * read (Purchase.refunds): one query for a whole page of purchases.
 */
export async function getRefundsByPurchaseIds(
  ctx: ServiceContext,
  purchaseIds: readonly string[],
): Promise<RefundRow[][]> {
  const wanted = [...new Set(purchaseIds.filter(isUuid))];
  const rows = wanted.length
    ? await ctx.deps.db
        .select()
        .from(refunds)
        .where(inArray(refunds.purchaseId, wanted))
        .orderBy(asc(refunds.createdAt), asc(refunds.id))
    : [];
  return purchaseIds.map((id) => rows.filter((r) => r.purchaseId === id));
}

/** The disputes of each purchase, oldest first (Purchase.disputes). */
export async function getDisputesByPurchaseIds(
  ctx: ServiceContext,
  purchaseIds: readonly string[],
): Promise<DisputeRow[][]> {
  const wanted = [...new Set(purchaseIds.filter(isUuid))];
  const rows = wanted.length
    ? await ctx.deps.db
        .select()
        .from(disputes)
        .where(inArray(disputes.purchaseId, wanted))
        .orderBy(asc(disputes.createdAt), asc(disputes.id))
    : [];
  return purchaseIds.map((id) => rows.filter((r) => r.purchaseId === id));
}

/** Refunds by id in the order asked, null where absent or where the caller may not read the purchase (node, dataloader). */
export async function getRefundsByIds(ctx: ServiceContext, ids: readonly string[]): Promise<(RefundRow | null)[]> {
  const wanted = [...new Set(ids.filter(isUuid))];
  const rows = wanted.length
    ? await ctx.deps.db
        .select({ refund: refunds, purchase: purchases, developerId: games.developerId })
        .from(refunds)
        .innerJoin(purchases, eq(purchases.id, refunds.purchaseId))
        .innerJoin(games, eq(games.id, refunds.gameId))
        .where(inArray(refunds.id, wanted))
    : [];
  const visible = new Map(
    rows.filter((r) => canReadPurchase(ctx.principal, r.purchase, r.developerId)).map((r) => [r.refund.id, r.refund]),
  );
  return ids.map((id) => visible.get(id) ?? null);
}

/** Disputes by id in the order asked, null where absent or not visible. */
export async function getDisputesByIds(ctx: ServiceContext, ids: readonly string[]): Promise<(DisputeRow | null)[]> {
  const wanted = [...new Set(ids.filter(isUuid))];
  const rows = wanted.length
    ? await ctx.deps.db
        .select({ dispute: disputes, purchase: purchases, developerId: games.developerId })
        .from(disputes)
        .innerJoin(purchases, eq(purchases.id, disputes.purchaseId))
        .innerJoin(games, eq(games.id, disputes.gameId))
        .where(inArray(disputes.id, wanted))
    : [];
  const visible = new Map(
    rows.filter((r) => canReadPurchase(ctx.principal, r.purchase, r.developerId)).map((r) => [r.dispute.id, r.dispute]),
  );
  return ids.map((id) => visible.get(id) ?? null);
}

/** What a refund or dispute gave back of the platform's fee, for those who see the game's fees (else null). */
export async function visibleFeeReturned(
  ctx: ServiceContext,
  row: Pick<RefundRow, 'gameId' | 'currency' | 'feeReturnedMinor'>,
): Promise<Money | null> {
  if (row.feeReturnedMinor === null || !(await seesGameFees(ctx, row.gameId))) return null;
  return { amountMinor: row.feeReturnedMinor, currency: row.currency };
}
