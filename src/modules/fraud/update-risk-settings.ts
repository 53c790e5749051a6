import { z } from 'zod';
import { riskSettings } from '../../db/schema/index.js';
import { NotFoundError, ValidationError, type FieldIssue } from '../../shared/errors.js';
import { isoDigits } from '../../shared/currencies.js';
import { isUuid } from '../../shared/ids.js';
import { moneyInput } from '../../shared/validation.js';
import { canManageGame, findGame, loadGameForWrite } from '../games/index.js';
import type { ServiceContext } from '../service-context.js';
import {
  effectiveSettings,
  loadEffectiveSettings,
  MONEY_LOOSEN_FACTOR,
  platformDailyCap,
  platformNewCardAmount,
  RISK_BOUNDS,
  RISK_THRESHOLD_NAMES,
  type EffectiveRiskSettings,
  type RiskThresholdName,
} from './settings.js';

// Zero is an amount here: a new-card step-up of 0 steps every first charge up.
const amountInput = moneyInput({ allowZero: true });

/** updateRiskSettings' input as the boundary parses it (parseInput). Absent fields stay; null resets to the platform default. */
export const updateRiskSettingsInput = z.object({
  gameId: z.string(),
  ...(Object.fromEntries(
    RISK_THRESHOLD_NAMES.map((name) => [name, z.number().int('must be an integer').nullish()]),
  ) as Record<RiskThresholdName, z.ZodOptional<z.ZodNullable<z.ZodNumber>>>),
  /** Replaces all of the game's daily caps; [] or null goes back to the platform's. */
  dailyAmountCaps: z.array(amountInput).max(50).nullish(),
  newCardStepUpAmounts: z.array(amountInput).max(50).nullish(),
});
export type UpdateRiskSettingsInput = z.output<typeof updateRiskSettingsInput>;

/**
 * Sets a game's risk overrides (its developer only). Every threshold must lie within the platform
 * bounds (RISK_BOUNDS): a game may tighten freely and loosen only up to the platform maxima; a
 * per-currency amount may be at most MONEY_LOOSEN_FACTOR times the platform's.
 */
export async function updateRiskSettings(
  ctx: ServiceContext,
  input: UpdateRiskSettingsInput,
): Promise<EffectiveRiskSettings> {
  const { config } = ctx.deps;
  const issues: FieldIssue[] = [];
  const changes: Partial<typeof riskSettings.$inferInsert> = {};
  for (const name of RISK_THRESHOLD_NAMES) {
    const value = input[name];
    if (value === undefined) continue;
    const bound = RISK_BOUNDS[name];
    if (value !== null && (value < bound.min || value > bound.max)) {
      issues.push({
        path: `input.${name}`,
        message: `must be between ${bound.min} and ${bound.max} (platform bounds)`,
      });
      continue;
    }
    changes[name] = value;
  }
  const amounts = (
    field: 'dailyAmountCaps' | 'newCardStepUpAmounts',
    platform: (currency: string) => number,
    min: number,
  ) => {
    const list = input[field];
    if (list === undefined) return undefined;
    const map: Record<string, number> = {};
    for (const [i, money] of (list ?? []).entries()) {
      const path = `input.${field}.${i}`;
      if (isoDigits(money.currency) === undefined) {
        issues.push({ path: `${path}.currency`, message: 'must be an ISO 4217 currency code' });
        continue;
      }
      if (money.currency in map) {
        issues.push({ path: `${path}.currency`, message: 'appears twice' });
        continue;
      }
      const max = platform(money.currency) * MONEY_LOOSEN_FACTOR;
      if (money.amountMinor < min || money.amountMinor > max) {
        issues.push({ path: `${path}.amount`, message: `must be between ${min} and ${max} (platform bounds)` });
        continue;
      }
      map[money.currency] = money.amountMinor;
    }
    return map;
  };
  const caps = amounts('dailyAmountCaps', (c) => platformDailyCap(config, c), 1);
  const newCard = amounts('newCardStepUpAmounts', (c) => platformNewCardAmount(config, c), 0);
  if (caps !== undefined) changes.dailyAmountCaps = caps;
  if (newCard !== undefined) changes.newCardStepUpAmounts = newCard;
  if (issues.length > 0) throw new ValidationError(issues);

  return ctx.deps.db.transaction(async (tx) => {
    const game = await loadGameForWrite(ctx, tx, input.gameId, true);
    const now = ctx.deps.clock.now();
    const [row] = await tx
      .insert(riskSettings)
      .values({ gameId: game.id, ...changes, updatedAt: now })
      .onConflictDoUpdate({ target: riskSettings.gameId, set: { ...changes, updatedAt: now } })
      .returning();
    return effectiveSettings(config, game.id, row ?? null);
  });
}

/** A game's effective risk settings, for its developer, its secret key and operators; anyone else gets NotFound. */
export async function getRiskSettings(ctx: ServiceContext, gameId: string): Promise<EffectiveRiskSettings> {
  const { db, config } = ctx.deps;
  const game = isUuid(gameId) ? await findGame(db, gameId) : null;
  if (!game || !canManageGame(ctx.principal, game)) throw new NotFoundError('Game');
  return loadEffectiveSettings(db, config, game.id);
}
