import { eq } from 'drizzle-orm';
import { outboxEvents } from '../../db/schema/index.js';
import { NotFoundError, UnauthenticatedError } from '../../shared/errors.js';
import { canManageGame, findGame, type GameRow } from '../games/index.js';
import type { ServiceContext } from '../service-context.js';
import type { OutboxEventRow } from './deliver.js';

/** A game whose webhooks the caller manages (its developer, its secret key, an operator); anyone else: NotFound. */
export async function loadManagedGame(ctx: ServiceContext, gameId: string): Promise<GameRow> {
  if (ctx.principal.kind === 'anonymous') throw new UnauthenticatedError();
  const game = await findGame(ctx.deps.db, gameId);
  if (!game || !canManageGame(ctx.principal, game)) throw new NotFoundError('Game');
  return game;
}

/** An event of a game the caller manages, with that game; anyone else: NotFound. */
export async function loadManagedEvent(
  ctx: ServiceContext,
  eventId: string,
): Promise<{ event: OutboxEventRow; game: GameRow }> {
  if (ctx.principal.kind === 'anonymous') throw new UnauthenticatedError();
  const [event] = /^evt_[0-9a-f]{32}$/.test(eventId)
    ? await ctx.deps.db.select().from(outboxEvents).where(eq(outboxEvents.id, eventId)).limit(1)
    : [];
  const game = event ? await findGame(ctx.deps.db, event.gameId) : null;
  if (!event || !game || !canManageGame(ctx.principal, game)) throw new NotFoundError('Webhook event');
  return { event, game };
}
