import { max } from 'drizzle-orm';
import { disputes } from '../../db/schema/index.js';
import type { Acquirer } from '../../shared/acquirer-port.js';
import type { ServiceContext } from '../service-context.js';
import { recordDispute } from './record-dispute.js';

const PAGE = 100;
const MAX_PAGES = 20;
/** On the first poll of a process, look this far back before the newest recorded dispute (redeliveries are deduped). */
const LOOKBACK_MS = 3_600_000;

/** Per acquirer client: how far this process has read the dispute list (everything before is recorded or not ours). */
const cursors = new WeakMap<Acquirer, Date>();

/**
 * The dispute poll (beside the callback, so that disputes raised while Coinslot was down are not
 * lost): lists the acquirer's disputes since the newest seen, oldest first, and records each
 * (deduped by acquirer dispute id). Stops at a dispute whose purchase has not settled yet, to take
 * it up again next time. Returns how many disputes were recorded now.
 */
export async function pollDisputes(ctx: ServiceContext): Promise<number> {
  const { db, acquirer, logger } = ctx.deps;
  let since = cursors.get(acquirer);
  if (!since) {
    const [row] = await db.select({ newest: max(disputes.raisedAt) }).from(disputes);
    since = row?.newest ? new Date(row.newest.getTime() - LOOKBACK_MS) : new Date(0);
  }
  let recorded = 0;
  try {
    for (let page = 0; page < MAX_PAGES; page++) {
      const list = await acquirer.listDisputes({ since, limit: PAGE });
      const pageStart = since;
      for (const dispute of list) {
        const result = await recordDispute(ctx, dispute);
        if (result.outcome === 'retry') {
          logger.info(
            { acquirerDisputeId: dispute.disputeId, reason: result.reason },
            'dispute waits for its purchase to settle',
          );
          return recorded;
        }
        if (result.outcome === 'unmatched')
          logger.warn({ acquirerDisputeId: dispute.disputeId, reason: result.reason }, 'dispute ignored');
        if (result.outcome === 'recorded') recorded += 1;
        // `since` is inclusive: the next page starts at this instant and skips what it already recorded.
        since = dispute.createdAt;
      }
      // A short page is the end; a full page of one instant cannot advance the cursor, so stop rather than spin.
      if (list.length < PAGE || since.getTime() === pageStart.getTime()) break;
    }
  } finally {
    cursors.set(acquirer, since);
  }
  return recorded;
}
