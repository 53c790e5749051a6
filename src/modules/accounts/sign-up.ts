import { z } from 'zod';
import { developers, players } from '../../db/schema/index.js';
import { EmailTakenError } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import { email, text } from '../../shared/validation.js';
import type { ServiceContext } from '../service-context.js';
import { assertPasswordStrength, hashPassword } from './passwords.js';
import { openSession } from './sessions.js';
import { developerColumns, playerColumns, type DeveloperRow, type PlayerRow } from './account-rows.js';

/** signUpDeveloper's input as the boundary parses it (parseInput): the email lower-cased, the name trimmed. */
export const signUpDeveloperInput = z.object({ email, password: z.string(), name: text(100) });
export type SignUpDeveloperInput = z.output<typeof signUpDeveloperInput>;
/** signUpPlayer's input as the boundary parses it (parseInput). */
export const signUpPlayerInput = z.object({ email, password: z.string(), displayName: text(50) });
export type SignUpPlayerInput = z.output<typeof signUpPlayerInput>;

export type { DeveloperRow, PlayerRow } from './account-rows.js';

function isUniqueViolation(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string } })?.cause;
  return (error as { code?: string })?.code === '23505' || cause?.code === '23505';
}

/** Creates a developer account and signs it in. */
export async function signUpDeveloper(
  ctx: ServiceContext,
  input: SignUpDeveloperInput,
): Promise<{ developer: DeveloperRow; token: string }> {
  assertPasswordStrength(input.password);
  const passwordHash = await hashPassword(input.password);
  try {
    return await ctx.deps.db.transaction(async (tx) => {
      const [developer] = await tx
        .insert(developers)
        .values({ id: newId(), email: input.email, name: input.name, passwordHash })
        .returning(developerColumns);
      const token = await openSession(ctx, { developerId: developer!.id }, tx);
      return { developer: developer!, token };
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new EmailTakenError();
    throw error;
  }
}

/** Creates a player's Coinslot account and signs it in. */
export async function signUpPlayer(
  ctx: ServiceContext,
  input: SignUpPlayerInput,
): Promise<{ player: PlayerRow; token: string }> {
  assertPasswordStrength(input.password);
  const passwordHash = await hashPassword(input.password);
  try {
    return await ctx.deps.db.transaction(async (tx) => {
      const [player] = await tx
        .insert(players)
        .values({ id: newId(), email: input.email, displayName: input.displayName, passwordHash })
        .returning(playerColumns);
      const token = await openSession(ctx, { playerId: player!.id }, tx);
      return { player: player!, token };
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new EmailTakenError();
    throw error;
  }
}
