import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { developers, players } from '../../db/schema/index.js';
import { InvalidCredentialsError } from '../../shared/errors.js';
import { email } from '../../shared/validation.js';
import type { ServiceContext } from '../service-context.js';
import { assertLoginAllowed, recordLoginFailure } from './login-throttle.js';
import { verifyAgainstDummy, verifyPassword } from './passwords.js';
import { openSession } from './sessions.js';
import { withoutPasswordHash, type DeveloperRow, type PlayerRow } from './account-rows.js';

/** logInDeveloper's and logInPlayer's input as the boundary parses it (parseInput): the email lower-cased. */
export const logInInput = z.object({ email, password: z.string().max(256, 'must be at most 256 characters') });
export type LogInInput = z.output<typeof logInInput>;

/** Checks the password the same way (and in about the same time) whether or not the email exists. */
async function checkPassword<T extends { passwordHash: string }>(
  ctx: ServiceContext,
  kind: 'developer' | 'player',
  account: T | undefined,
  input: { email: string; password: string },
): Promise<T> {
  await assertLoginAllowed(ctx, kind, input.email);
  const ok = account
    ? await verifyPassword(account.passwordHash, input.password)
    : await verifyAgainstDummy(input.password);
  if (!ok || !account) {
    await recordLoginFailure(ctx, kind, input.email);
    throw new InvalidCredentialsError();
  }
  return account;
}

export async function logInDeveloper(
  ctx: ServiceContext,
  input: LogInInput,
): Promise<{ developer: DeveloperRow; token: string }> {
  const [found] = await ctx.deps.db.select().from(developers).where(eq(developers.email, input.email)).limit(1);
  const developer = withoutPasswordHash(await checkPassword(ctx, 'developer', found, input));
  return { developer, token: await openSession(ctx, { developerId: developer.id }) };
}

export async function logInPlayer(
  ctx: ServiceContext,
  input: LogInInput,
): Promise<{ player: PlayerRow; token: string }> {
  const [found] = await ctx.deps.db.select().from(players).where(eq(players.email, input.email)).limit(1);
  const player = withoutPasswordHash(await checkPassword(ctx, 'player', found, input));
  return { player, token: await openSession(ctx, { playerId: player.id }) };
}
