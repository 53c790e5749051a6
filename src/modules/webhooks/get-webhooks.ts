import { and, asc, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import type { Database } from '../../db/client.js';
import { outboxEvents, webhookDeliveries, type OutboxEventType, type OutboxStatus } from '../../db/schema/index.js';
import { isUuid } from '../../shared/ids.js';
import { canManageGame, findGame } from '../games/index.js';
import type { KeysetPage } from '../../db/keyset.js';
import type { ServiceContext } from '../service-context.js';
import { loadManagedEvent, loadManagedGame } from './access.js';
import type { OutboxEventRow, WebhookDeliveryRow } from './deliver.js';

// Keyset on (time, id) where the id is text (events) or uuid (deliveries): compared as text, ordered alike.
function keyset(time: PgColumn, id: PgColumn, page: KeysetPage): { where: SQL[]; order: SQL[] } {
  const where: SQL[] = [];
  if (page.after)
    where.push(sql`(${time}, ${id}::text) > (${page.after.createdAt.toISOString()}::timestamptz, ${page.after.id})`);
  if (page.before)
    where.push(sql`(${time}, ${id}::text) < (${page.before.createdAt.toISOString()}::timestamptz, ${page.before.id})`);
  const order = page.inverted ? [desc(time), sql`${id}::text desc`] : [asc(time), sql`${id}::text asc`];
  return { where, order };
}

export interface WebhookEventFilter {
  readonly gameId: string;
  readonly status?: OutboxStatus | null;
  readonly type?: OutboxEventType | null;
}

/** A game's outbox events, oldest first; only for whoever manages the game. */
export async function listWebhookEvents(
  ctx: ServiceContext,
  filter: WebhookEventFilter,
  page: KeysetPage,
): Promise<OutboxEventRow[]> {
  const game = await loadManagedGame(ctx, filter.gameId);
  const { where, order } = keyset(outboxEvents.createdAt, outboxEvents.id, page);
  return ctx.deps.db
    .select()
    .from(outboxEvents)
    .where(
      and(
        eq(outboxEvents.gameId, game.id),
        filter.status ? eq(outboxEvents.status, filter.status) : undefined,
        filter.type ? eq(outboxEvents.type, filter.type) : undefined,
        ...where,
      ),
    )
    .orderBy(...order)
    .limit(page.limit);
}

/** Every delivery attempt of a game (or of one of its events), oldest first; only for whoever manages the game. */
export async function listWebhookDeliveries(
  ctx: ServiceContext,
  filter: { readonly gameId: string; readonly eventId?: string | null },
  page: KeysetPage,
): Promise<WebhookDeliveryRow[]> {
  const game = await loadManagedGame(ctx, filter.gameId);
  if (filter.eventId) {
    const { event } = await loadManagedEvent(ctx, filter.eventId);
    if (event.gameId !== game.id) return [];
  }
  const { where, order } = keyset(webhookDeliveries.attemptedAt, webhookDeliveries.id, page);
  return ctx.deps.db
    .select()
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.gameId, game.id),
        filter.eventId ? eq(webhookDeliveries.eventId, filter.eventId) : undefined,
        ...where,
      ),
    )
    .orderBy(...order)
    .limit(page.limit);
}

async function visibleGameIds(ctx: ServiceContext, gameIds: readonly string[]): Promise<Set<string>> {
  const visible = new Set<string>();
  for (const gameId of new Set(gameIds)) {
    const game = await findGame(ctx.deps.db, gameId);
    if (game && canManageGame(ctx.principal, game)) visible.add(gameId);
  }
  return visible;
}

/** Events by id, in the order asked (for dataloaders); null where absent or not the caller's. */
export async function getWebhookEventsByIds(
  ctx: ServiceContext,
  ids: readonly string[],
): Promise<(OutboxEventRow | null)[]> {
  const wanted = [...new Set(ids.filter((id) => /^evt_[0-9a-f]{32}$/.test(id)))];
  const rows = wanted.length
    ? await ctx.deps.db.select().from(outboxEvents).where(inArray(outboxEvents.id, wanted))
    : [];
  const visible = await visibleGameIds(
    ctx,
    rows.map((r) => r.gameId),
  );
  const byId = new Map(rows.filter((r) => visible.has(r.gameId)).map((r) => [r.id, r]));
  return ids.map((id) => byId.get(id) ?? null);
}

/** Delivery attempts by id, in the order asked (for dataloaders); null where absent or not the caller's. */
export async function getWebhookDeliveriesByIds(
  ctx: ServiceContext,
  ids: readonly string[],
): Promise<(WebhookDeliveryRow | null)[]> {
  const wanted = [...new Set(ids.filter(isUuid))];
  const rows = wanted.length
    ? await ctx.deps.db.select().from(webhookDeliveries).where(inArray(webhookDeliveries.id, wanted))
    : [];
  const visible = await visibleGameIds(
    ctx,
    rows.map((r) => r.gameId),
  );
  const byId = new Map(rows.filter((r) => visible.has(r.gameId)).map((r) => [r.id, r]));
  return ids.map((id) => byId.get(id) ?? null);
}

/** Events waiting to be delivered (status pending), for the outbox backlog gauge. */
export async function countOutboxBacklog(db: Database): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(outboxEvents)
    .where(eq(outboxEvents.status, 'pending'));
  return Number(row?.n ?? 0);
}
