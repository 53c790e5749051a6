import { and, asc, eq, getTableColumns, inArray, isNull, type SQL } from 'drizzle-orm';
import {
  games,
  ledgerAccounts,
  ledgerEntries,
  ledgerTransactions,
  type LedgerAccountKind,
  type LedgerTransactionKind,
} from '../../db/schema/index.js';
import { ForbiddenError, NotFoundError, UnauthenticatedError } from '../../shared/errors.js';
import { isUuid } from '../../shared/ids.js';
import { findGame, type GameRow } from '../games/index.js';
import { keysetConditions, keysetOrder, type KeysetPage } from '../../db/keyset.js';
import type { ServiceContext } from '../service-context.js';
import { accountBalance, NORMAL_SIDE, type LedgerAccountRow } from './accounts.js';

/** An account as readers see it; balanceMinor is debit-positive (credit-normal accounts show negative). */
export interface LedgerAccountView {
  readonly id: string;
  readonly kind: LedgerAccountKind;
  readonly gameId: string;
  readonly playerId: string | null;
  readonly currency: string;
  readonly balanceMinor: number;
  readonly normalSide: 'debit' | 'credit';
  readonly createdAt: Date;
}

/** One entry with its transaction and account; amountMinor is signed, debit positive. */
export interface LedgerEntryView {
  readonly id: string;
  readonly createdAt: Date;
  readonly amountMinor: number;
  readonly currency: string;
  readonly accountId: string;
  readonly accountKind: LedgerAccountKind;
  readonly playerId: string | null;
  readonly transactionId: string;
  readonly transactionKind: LedgerTransactionKind;
  readonly reference: string;
  readonly purchaseId: string | null;
  readonly refundId: string | null;
  readonly disputeId: string | null;
}

/** An account's columns with its whole balance (buckets included) in balanceMinor. */
const accountColumns = { ...getTableColumns(ledgerAccounts), balanceMinor: accountBalance };

function toView(row: LedgerAccountRow): LedgerAccountView {
  return { ...row, normalSide: NORMAL_SIDE[row.kind] };
}

function mayReadLedger(ctx: ServiceContext, game: Pick<GameRow, 'developerId'>): boolean {
  const { principal } = ctx;
  return (
    principal.kind === 'operator' || (principal.kind === 'developer' && principal.developerId === game.developerId)
  );
}

/** The game whose ledger is asked for: its developer's own, or any for an operator; another's is NotFound. */
export async function loadLedgerGame(ctx: ServiceContext, gameId: string): Promise<GameRow> {
  const { principal } = ctx;
  if (principal.kind === 'anonymous') throw new UnauthenticatedError();
  if (principal.kind !== 'developer' && principal.kind !== 'operator')
    throw new ForbiddenError("Only the game's developer and operators read its ledger.");
  const game = await findGame(ctx.deps.db, gameId);
  if (!game || !mayReadLedger(ctx, game)) throw new NotFoundError('Game');
  return game;
}

/**
 * A game's ledger accounts with their balances (developer: own game; operator: any), by currency
 * and kind. Player wallets are left out unless asked for: a game may have very many.
 */
export async function getLedgerAccounts(
  ctx: ServiceContext,
  gameId: string,
  options: { includeWallets?: boolean } = {},
): Promise<LedgerAccountView[]> {
  const game = await loadLedgerGame(ctx, gameId);
  const rows = await ctx.deps.db
    .select(accountColumns)
    .from(ledgerAccounts)
    .where(
      and(eq(ledgerAccounts.gameId, game.id), options.includeWallets ? undefined : isNull(ledgerAccounts.playerId)),
    )
    .orderBy(asc(ledgerAccounts.currency), asc(ledgerAccounts.kind), asc(ledgerAccounts.playerId));
  return rows.map(toView);
}

/**
 * Rows by id in the order asked, for node loading: null where the id is malformed, absent or of a
 * game whose ledger the caller may not read. `load` reads the rows of the well-formed ids, each with
 * its game's developer.
 */
async function readableByIds<T extends { readonly id: string }>(
  ctx: ServiceContext,
  ids: readonly string[],
  load: (wanted: string[]) => Promise<{ row: T; developerId: string }[]>,
): Promise<(T | null)[]> {
  const wanted = [...new Set(ids.filter(isUuid))];
  const rows = wanted.length ? await load(wanted) : [];
  const byId = new Map(rows.filter((r) => mayReadLedger(ctx, r)).map((r) => [r.row.id, r.row]));
  return ids.map((id) => byId.get(id) ?? null);
}

/** Ledger accounts by id, in the order asked (for node loading); null where absent or not the caller's to read. */
export async function getLedgerAccountsByIds(
  ctx: ServiceContext,
  ids: readonly string[],
): Promise<(LedgerAccountView | null)[]> {
  const accounts = await readableByIds(ctx, ids, (wanted) =>
    ctx.deps.db
      .select({ row: accountColumns, developerId: games.developerId })
      .from(ledgerAccounts)
      .innerJoin(games, eq(games.id, ledgerAccounts.gameId))
      .where(inArray(ledgerAccounts.id, wanted)),
  );
  return accounts.map((account) => (account ? toView(account) : null));
}

/** A posting (ledger transaction) as readers see it. */
export interface LedgerTransactionView {
  readonly id: string;
  readonly gameId: string;
  readonly kind: LedgerTransactionKind;
  readonly reference: string;
  readonly purchaseId: string | null;
  readonly refundId: string | null;
  readonly disputeId: string | null;
  readonly createdAt: Date;
}

/** The columns of an entry view, joined to its posting and account. */
const entryColumns = {
  id: ledgerEntries.id,
  createdAt: ledgerEntries.createdAt,
  amountMinor: ledgerEntries.amountMinor,
  currency: ledgerEntries.currency,
  accountId: ledgerEntries.accountId,
  accountKind: ledgerAccounts.kind,
  playerId: ledgerAccounts.playerId,
  transactionId: ledgerTransactions.id,
  transactionKind: ledgerTransactions.kind,
  reference: ledgerTransactions.reference,
  purchaseId: ledgerTransactions.purchaseId,
  refundId: ledgerTransactions.refundId,
  disputeId: ledgerTransactions.disputeId,
};

/** Ledger entries by id, in the order asked (node loading); null where absent or not the caller's to read. */
export function getLedgerEntriesByIds(
  ctx: ServiceContext,
  ids: readonly string[],
): Promise<(LedgerEntryView | null)[]> {
  return readableByIds(ctx, ids, (wanted) =>
    ctx.deps.db
      .select({ row: entryColumns, developerId: games.developerId })
      .from(ledgerEntries)
      .innerJoin(ledgerTransactions, eq(ledgerTransactions.id, ledgerEntries.transactionId))
      .innerJoin(ledgerAccounts, eq(ledgerAccounts.id, ledgerEntries.accountId))
      .innerJoin(games, eq(games.id, ledgerEntries.gameId))
      .where(inArray(ledgerEntries.id, wanted)),
  );
}

/** The columns of a posting view. */
const postingColumns = {
  id: ledgerTransactions.id,
  gameId: ledgerTransactions.gameId,
  kind: ledgerTransactions.kind,
  reference: ledgerTransactions.reference,
  purchaseId: ledgerTransactions.purchaseId,
  refundId: ledgerTransactions.refundId,
  disputeId: ledgerTransactions.disputeId,
  createdAt: ledgerTransactions.createdAt,
};

/** Postings by id, in the order asked (node loading); null where absent or not the caller's to read. */
export function getLedgerTransactionsByIds(
  ctx: ServiceContext,
  ids: readonly string[],
): Promise<(LedgerTransactionView | null)[]> {
  return readableByIds(ctx, ids, (wanted) =>
    ctx.deps.db
      .select({ row: postingColumns, developerId: games.developerId })
      .from(ledgerTransactions)
      .innerJoin(games, eq(games.id, ledgerTransactions.gameId))
      .where(inArray(ledgerTransactions.id, wanted)),
  );
}

/** The legs of postings the caller may read, by posting id (each posting's entries oldest first). */
export async function getLedgerTransactionEntries(
  ctx: ServiceContext,
  transactionIds: readonly string[],
): Promise<LedgerEntryView[][]> {
  const wanted = [...new Set(transactionIds.filter(isUuid))];
  const rows = wanted.length
    ? await ctx.deps.db
        .select({ entry: entryColumns, developerId: games.developerId })
        .from(ledgerEntries)
        .innerJoin(ledgerTransactions, eq(ledgerTransactions.id, ledgerEntries.transactionId))
        .innerJoin(ledgerAccounts, eq(ledgerAccounts.id, ledgerEntries.accountId))
        .innerJoin(games, eq(games.id, ledgerEntries.gameId))
        .where(inArray(ledgerEntries.transactionId, wanted))
        .orderBy(asc(ledgerEntries.createdAt), asc(ledgerEntries.id))
    : [];
  const byPosting = new Map<string, LedgerEntryView[]>();
  for (const r of rows) {
    if (!mayReadLedger(ctx, r)) continue;
    const list = byPosting.get(r.entry.transactionId) ?? [];
    list.push(r.entry);
    byPosting.set(r.entry.transactionId, list);
  }
  return transactionIds.map((id) => byPosting.get(id) ?? []);
}

export interface LedgerEntryFilter {
  readonly accountId?: string | undefined;
  readonly purchaseId?: string | undefined;
}

/** A page of a game's ledger entries, oldest first (keyset on created_at, id); same readers as getLedgerAccounts. */
export async function listLedgerEntries(
  ctx: ServiceContext,
  gameId: string,
  page: KeysetPage,
  filter: LedgerEntryFilter = {},
): Promise<LedgerEntryView[]> {
  const game = await loadLedgerGame(ctx, gameId);
  const conditions: (SQL | undefined)[] = [
    eq(ledgerEntries.gameId, game.id),
    ...keysetConditions(ledgerEntries.createdAt, ledgerEntries.id, page),
  ];
  if (filter.accountId !== undefined) {
    if (!isUuid(filter.accountId)) return [];
    conditions.push(eq(ledgerEntries.accountId, filter.accountId));
  }
  if (filter.purchaseId !== undefined) {
    if (!isUuid(filter.purchaseId)) return [];
    conditions.push(eq(ledgerTransactions.purchaseId, filter.purchaseId));
  }
  return ctx.deps.db
    .select(entryColumns)
    .from(ledgerEntries)
    .innerJoin(ledgerTransactions, eq(ledgerTransactions.id, ledgerEntries.transactionId))
    .innerJoin(ledgerAccounts, eq(ledgerAccounts.id, ledgerEntries.accountId))
    .where(and(...conditions))
    .orderBy(...keysetOrder(ledgerEntries.createdAt, ledgerEntries.id, page))
    .limit(page.limit);
}
