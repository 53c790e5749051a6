import { ForbiddenError, NotFoundError, UnauthenticatedError } from '../../shared/errors.js';
import type { Money } from '../../shared/money.js';
import type { Principal } from '../../shared/principal.js';
import { seesGameFees } from '../games/index.js';
import type { ServiceContext } from '../service-context.js';
import type { PurchaseRow } from './purchase-row.js';

/**
 * Who may read a purchase: its buyer or recipient (player session, or game token of that game), the
 * game's secret key, the game's developer (checked by the caller with the game row), and operators.
 */
export function canReadPurchase(principal: Principal, purchase: PurchaseRow, gameDeveloperId: string | null): boolean {
  const party = (playerId: string) => purchase.playerId === playerId || purchase.recipientId === playerId;
  switch (principal.kind) {
    case 'operator':
      return true;
    case 'player':
      return party(principal.playerId);
    case 'player_game':
      return principal.gameId === purchase.gameId && party(principal.playerId);
    case 'game_secret':
      return principal.gameId === purchase.gameId;
    case 'developer':
      return gameDeveloperId === principal.developerId;
    default:
      return false;
  }
}

/** The platform's fee on a purchase, for those who see the game's fees (else null, and null before the sale). */
export async function visibleFee(ctx: ServiceContext, purchase: PurchaseRow): Promise<Money | null> {
  if (purchase.feeMinor === null || !(await seesGameFees(ctx, purchase.gameId))) return null;
  return { amountMinor: purchase.feeMinor, currency: purchase.currency };
}

/** The game client acting for a player: the only caller that creates purchases. */
export function requirePlayerGame(ctx: ServiceContext): Extract<Principal, { kind: 'player_game' }> {
  const { principal } = ctx;
  if (principal.kind === 'player_game') return principal;
  if (principal.kind === 'anonymous') throw new UnauthenticatedError();
  throw new ForbiddenError("Purchases are created with the player's game token.");
}

/** The buyer in the pay sheet (player session) or in the game (game token of that game). */
export function requireBuyer(ctx: ServiceContext, purchase: PurchaseRow, allowGameToken: boolean): void {
  const { principal } = ctx;
  if (principal.kind === 'anonymous') throw new UnauthenticatedError();
  const isBuyer =
    (principal.kind === 'player' && principal.playerId === purchase.playerId) ||
    (allowGameToken &&
      principal.kind === 'player_game' &&
      principal.playerId === purchase.playerId &&
      principal.gameId === purchase.gameId);
  if (!isBuyer) throw new NotFoundError('Purchase');
}

/** Whether the caller is the purchase's buyer: their session, or their game token in its game. */
function isBuyer(principal: Principal, purchase: PurchaseRow): boolean {
  return (
    (principal.kind === 'player' && principal.playerId === purchase.playerId) ||
    (principal.kind === 'player_game' &&
      principal.playerId === purchase.playerId &&
      principal.gameId === purchase.gameId)
  );
}

/**
 * The card a purchase was charged to (its id, for the brand and last four): the buyer's business, the
 * game's (developer, secret key) and operators'. A gift's recipient sees what was given and by whom,
 * never the buyer's card.
 */
export async function visibleCardId(ctx: ServiceContext, purchase: PurchaseRow): Promise<string | null> {
  if (purchase.cardId === null) return null;
  return isBuyer(ctx.principal, purchase) || (await seesGameFees(ctx, purchase.gameId)) ? purchase.cardId : null;
}

/** A fraud rule as the caller sees it: the values and thresholds only for the game and operators. */
export interface RiskRuleView {
  readonly rule: string;
  readonly value: number | null;
  readonly threshold: number | null;
}

/** The fraud decision on a purchase as the caller sees it. */
export interface RiskView {
  readonly decision: NonNullable<PurchaseRow['riskDecision']>;
  readonly score: number;
  readonly rulesFired: readonly RiskRuleView[];
}

/**
 * The fraud decision on a purchase: in full (score, rules with the values they saw and their
 * thresholds) for the game's developer, its secret key and operators; the decision, score and the
 * names of the rules for the buyer (their session or game client), whose tuning knobs the thresholds
 * are not (a card tester would probe just under them); nothing for anyone else, a gift's recipient
 * included.
 */
export async function visibleRisk(ctx: ServiceContext, purchase: PurchaseRow): Promise<RiskView | null> {
  if (!purchase.riskDecision) return null;
  const rules = purchase.riskRules ?? [];
  const base = { decision: purchase.riskDecision, score: purchase.riskScore ?? 0 };
  if (await seesGameFees(ctx, purchase.gameId))
    return { ...base, rulesFired: rules.map((r) => ({ rule: r.rule, value: r.value, threshold: r.threshold })) };
  if (isBuyer(ctx.principal, purchase))
    return { ...base, rulesFired: rules.map((r) => ({ rule: r.rule, value: null, threshold: null })) };
  return null;
}
