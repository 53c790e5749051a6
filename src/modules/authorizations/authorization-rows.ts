import { and, eq, isNull } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { gameAuthorizations } from '../../db/schema/index.js';
import {
  ForbiddenError,
  NotFoundError,
  UnauthenticatedError,
  ValidationError,
  type FieldIssue,
} from '../../shared/errors.js';
import { isUuid } from '../../shared/ids.js';
import { isIsoCurrency } from '../../shared/currencies.js';
import { MINOR_UNITS_MESSAGES, type Money } from '../../shared/money.js';
import { moneyInput } from '../../shared/validation.js';
import type { ServiceContext } from '../service-context.js';

export type GameAuthorizationRow = typeof gameAuthorizations.$inferSelect;

/** A player's grant to a game with its one-tap allowance; the token hash never leaves the module. */
export interface GameAuthorization {
  readonly id: string;
  readonly playerId: string;
  readonly gameId: string;
  /** The most one purchase may cost to go through without asking; zero means always ask. */
  readonly oneTapMax: Money;
  /** The most one-tap purchases may add up to in a day; zero means always ask. */
  readonly dailyCap: Money;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly revokedAt: Date | null;
}

export function toAuthorization(row: GameAuthorizationRow): GameAuthorization {
  return {
    id: row.id,
    playerId: row.playerId,
    gameId: row.gameId,
    oneTapMax: { amountMinor: row.oneTapMaxMinor, currency: row.currency },
    dailyCap: { amountMinor: row.dailyCapMinor, currency: row.currency },
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    revokedAt: row.revokedAt,
  };
}

/** The calling player's id; only the player's own Coinslot session manages authorizations (never a game token). */
export function requirePlayerSession(ctx: ServiceContext): string {
  const { principal } = ctx;
  if (principal.kind === 'player') return principal.playerId;
  if (principal.kind === 'anonymous') throw new UnauthenticatedError();
  throw new ForbiddenError('Only the player, signed in to Coinslot, may do this.');
}

/**
 * An allowance's two amounts as the boundary parses them (parseInput): MoneyInput strings become
 * Money by the one parser of minor units, zero allowed ("always ask"). Which currencies are allowed
 * and how the two relate is the verbs' rule (allowanceOf).
 */
export const allowanceInput = {
  oneTapMax: moneyInput({ allowZero: true }),
  dailyCap: moneyInput({ allowZero: true }),
} as const;

export interface Allowance {
  readonly oneTapMaxMinor: number;
  readonly dailyCapMinor: number;
  readonly currency: string;
}

/**
 * A one-tap allowance from its parsed amounts: both in the same ISO 4217 currency, neither negative,
 * and the per-purchase maximum not above the daily cap.
 */
export function allowanceOf(oneTapMax: Money, dailyCap: Money): Allowance {
  const issues: FieldIssue[] = [];
  for (const [money, path] of [
    [oneTapMax, 'input.oneTapMax.amount'],
    [dailyCap, 'input.dailyCap.amount'],
  ] as const)
    if (!Number.isSafeInteger(money.amountMinor)) issues.push({ path, message: MINOR_UNITS_MESSAGES.not_an_integer });
    else if (money.amountMinor < 0) issues.push({ path, message: 'must not be negative' });
  if (!isIsoCurrency(oneTapMax.currency))
    issues.push({ path: 'input.oneTapMax.currency', message: 'must be an ISO 4217 currency code' });
  if (!isIsoCurrency(dailyCap.currency))
    issues.push({ path: 'input.dailyCap.currency', message: 'must be an ISO 4217 currency code' });
  else if (oneTapMax.currency !== dailyCap.currency)
    issues.push({ path: 'input.dailyCap.currency', message: 'must be the currency of oneTapMax' });
  if (issues.length === 0 && oneTapMax.amountMinor > dailyCap.amountMinor) {
    issues.push({ path: 'input.oneTapMax.amount', message: 'must not be above the daily cap' });
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return { oneTapMaxMinor: oneTapMax.amountMinor, dailyCapMinor: dailyCap.amountMinor, currency: oneTapMax.currency };
}

/** One of the player's authorizations (revoked too, when asked), or NotFound; another player's is not found either. */
export async function findPlayerAuthorization(
  executor: Executor,
  playerId: string,
  authorizationId: string,
  options: { activeOnly: boolean; lock?: boolean },
): Promise<GameAuthorizationRow> {
  if (!isUuid(authorizationId)) throw new NotFoundError('GameAuthorization');
  const query = executor
    .select()
    .from(gameAuthorizations)
    .where(
      and(
        eq(gameAuthorizations.id, authorizationId),
        eq(gameAuthorizations.playerId, playerId),
        options.activeOnly ? isNull(gameAuthorizations.revokedAt) : undefined,
      ),
    )
    .limit(1);
  const [row] = options.lock ? await query.for('update') : await query;
  if (!row) throw new NotFoundError('GameAuthorization');
  return row;
}
