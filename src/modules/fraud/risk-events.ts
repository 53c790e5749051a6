import { and, asc, desc, eq, gte, inArray, lt, sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { bareValue, preparedStatement } from '../../db/prepared.js';
import { riskEvents } from '../../db/schema/index.js';
import { ValidationError } from '../../shared/errors.js';
import { isUuid, newId } from '../../shared/ids.js';
import type { ServiceContext } from '../service-context.js';
import { requireOperator } from './blocks.js';
import type { RiskDecision, RiskRuleHit } from './rules.js';

export type RiskEventRow = typeof riskEvents.$inferSelect;

/** What recordRiskEvent stores; an assessment spreads into it (extra fields such as retryAfterSeconds are ignored). */
export interface RiskEventInput {
  readonly gameId: string | null;
  readonly playerId: string;
  readonly purchaseId?: string | null;
  readonly kind: 'purchase' | 'card_add';
  readonly decision: RiskDecision;
  readonly score: number;
  readonly rulesFired: readonly RiskRuleHit[] | readonly { rule: string; value: number; threshold: number }[];
  /** The keyed card fingerprint (never the number), so that an operator can block the card. */
  readonly cardFingerprint?: string | null;
  /** Defaults to the database's now(). */
  readonly at?: Date;
}

/** Writes one risk decision, in the caller's transaction when it passes one (the purchase's own). */
export async function recordRiskEvent(executor: Executor, event: RiskEventInput): Promise<RiskEventRow> {
  const [row] = await insertRiskEvent(executor).execute({
    id: newId(),
    gameId: event.gameId,
    playerId: event.playerId,
    purchaseId: event.purchaseId ?? null,
    kind: event.kind,
    decision: event.decision,
    score: storedScore(event.score),
    rulesFired: JSON.stringify(storedRules(event.rulesFired)),
    cardFingerprint: event.cardFingerprint ?? null,
    createdAt: event.at?.toISOString() ?? null,
  });
  return row!;
}

/**
 * A risk event as its row's columns (SQL names, JSON values; created at the database's now()), for a
 * statement that writes it itself: phase 1's SQL function writes the purchase's event beside it.
 */
export function riskEventRecord(event: Omit<RiskEventInput, 'at'>): Record<string, unknown> {
  return {
    id: newId(),
    game_id: event.gameId,
    player_id: event.playerId,
    purchase_id: event.purchaseId ?? null,
    kind: event.kind,
    decision: event.decision,
    score: storedScore(event.score),
    rules_fired: storedRules(event.rulesFired),
    card_fingerprint: event.cardFingerprint ?? null,
  };
}

const storedScore = (score: number) => Math.min(100, Math.max(0, Math.round(score)));
const storedRules = (rules: RiskEventInput['rulesFired']) =>
  rules.map(({ rule, value, threshold }) => ({ rule, value, threshold }));

// Written with every assessed purchase, in its transaction: prepared (bare placeholders: driver values).
const insertRiskEvent = preparedStatement((executor) =>
  executor
    .insert(riskEvents)
    .values({
      id: bareValue('id'),
      gameId: bareValue('gameId'),
      playerId: bareValue('playerId'),
      purchaseId: bareValue('purchaseId'),
      kind: bareValue('kind'),
      decision: bareValue('decision'),
      score: bareValue('score'),
      rulesFired: bareValue('rulesFired'),
      cardFingerprint: bareValue('cardFingerprint'),
      createdAt: sql`coalesce(${sql.placeholder('createdAt')}::timestamptz, now())`,
    })
    .returning()
    .prepare('fraud_insert_risk_event'),
);

export interface RiskEventFilter {
  readonly gameId?: string | null;
  readonly playerId?: string | null;
  readonly purchaseId?: string | null;
  readonly decision?: RiskDecision | null;
  readonly kind?: 'purchase' | 'card_add' | null;
  /** Inclusive lower bound on createdAt. */
  readonly from?: Date | null;
  /** Exclusive upper bound on createdAt. */
  readonly to?: Date | null;
}

/** A page of a newest-first list: `after` reads older rows, `before` newer ones (read backwards when inverted). */
export interface RiskEventPage {
  readonly after?: { readonly createdAt: Date; readonly id: string } | undefined;
  readonly before?: { readonly createdAt: Date; readonly id: string } | undefined;
  readonly limit: number;
  readonly inverted: boolean;
}

/** Risk events for operators, newest first, filtered by game, player, purchase, decision, kind and time. */
export async function listRiskEvents(
  ctx: ServiceContext,
  filter: RiskEventFilter,
  page: RiskEventPage,
): Promise<RiskEventRow[]> {
  requireOperator(ctx);
  if (filter.from && filter.to && filter.from >= filter.to) throw ValidationError.field('to', 'must be after from');
  const conditions: SQL[] = [];
  // an id that is not a uuid matches nothing
  for (const [column, value] of [
    [riskEvents.gameId, filter.gameId],
    [riskEvents.playerId, filter.playerId],
    [riskEvents.purchaseId, filter.purchaseId],
  ] as const) {
    if (value == null) continue;
    if (!isUuid(value)) return [];
    conditions.push(eq(column, value));
  }
  if (filter.decision) conditions.push(eq(riskEvents.decision, filter.decision));
  if (filter.kind) conditions.push(eq(riskEvents.kind, filter.kind));
  if (filter.from) conditions.push(gte(riskEvents.createdAt, filter.from));
  if (filter.to) conditions.push(lt(riskEvents.createdAt, filter.to));
  if (page.after)
    conditions.push(
      sql`(${riskEvents.createdAt}, ${riskEvents.id}) < (${page.after.createdAt.toISOString()}::timestamptz, ${page.after.id}::uuid)`,
    );
  if (page.before)
    conditions.push(
      sql`(${riskEvents.createdAt}, ${riskEvents.id}) > (${page.before.createdAt.toISOString()}::timestamptz, ${page.before.id}::uuid)`,
    );
  const order = page.inverted
    ? [asc(riskEvents.createdAt), asc(riskEvents.id)]
    : [desc(riskEvents.createdAt), desc(riskEvents.id)];
  return ctx.deps.db
    .select()
    .from(riskEvents)
    .where(and(...conditions))
    .orderBy(...order)
    .limit(page.limit);
}

/** Risk events by id, in the order asked (operators only; null for anyone else or where absent). */
export async function getRiskEventsByIds(
  ctx: ServiceContext,
  ids: readonly string[],
): Promise<(RiskEventRow | null)[]> {
  if (ctx.principal.kind !== 'operator') return ids.map(() => null);
  const wanted = [...new Set(ids.filter(isUuid))];
  const rows = wanted.length ? await ctx.deps.db.select().from(riskEvents).where(inArray(riskEvents.id, wanted)) : [];
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => byId.get(id) ?? null);
}
