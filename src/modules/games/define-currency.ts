import { z } from 'zod';
import { gameCurrencies } from '../../db/schema/index.js';
import { isIsoCurrency } from '../../shared/currencies.js';
import { newId } from '../../shared/ids.js';
import { VIRTUAL_CURRENCY_CODE } from '../../shared/money.js';
import { text } from '../../shared/validation.js';
import type { ServiceContext } from '../service-context.js';
import { loadGameForWrite } from './access.js';
import { CurrencyCodeTakenError } from './errors.js';

export type GameCurrencyRow = typeof gameCurrencies.$inferSelect;

/** defineCurrency's input as the boundary parses it (parseInput). */
export const defineCurrencyInput = z.object({
  gameId: z.string(),
  code: z
    .string()
    .regex(VIRTUAL_CURRENCY_CODE, 'must be 2 to 8 capital letters, e.g. GEM')
    // An ISO code would make "500 USD" ambiguous between real money and the game's own.
    .refine((code) => !isIsoCurrency(code), 'must not be an ISO 4217 currency code'),
  name: text(50),
});
export type DefineCurrencyInput = z.output<typeof defineCurrencyInput>;

function isUniqueViolation(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string } })?.cause;
  return (error as { code?: string })?.code === '23505' || cause?.code === '23505';
}

/** Defines a virtual currency (GEM, COIN…) of a game; the code is unique within the game. */
export async function defineCurrency(ctx: ServiceContext, input: DefineCurrencyInput): Promise<GameCurrencyRow> {
  const game = await loadGameForWrite(ctx, ctx.deps.db, input.gameId);
  try {
    const [currency] = await ctx.deps.db
      .insert(gameCurrencies)
      .values({ id: newId(), gameId: game.id, code: input.code, name: input.name, createdAt: ctx.deps.clock.now() })
      .returning();
    return currency!;
  } catch (error) {
    if (isUniqueViolation(error)) throw new CurrencyCodeTakenError(input.code);
    throw error;
  }
}
