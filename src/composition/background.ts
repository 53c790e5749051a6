import type { Logger } from 'pino';
import type { Deps, ServiceContext } from '../modules/service-context.js';
import { expirePurchases, recoverPurchases } from '../modules/purchases/index.js';
import { pollDisputes, recoverRefunds } from '../modules/refunds/index.js';
import { reencryptWebhookSecrets } from '../modules/games/index.js';
import { systemActor } from '../shared/principal.js';

export interface BackgroundWork {
  /** Runs every job once now (tests, and the pass at start). */
  runOnce(): Promise<void>;
  stop(): Promise<void>;
}

interface Job {
  readonly name: string;
  readonly everyMs: number;
  run(ctx: ServiceContext): Promise<unknown>;
}

/**
 * The periodic jobs of one instance: recovery of PROCESSING purchases and of pending refunds, expiry
 * of unconfirmed purchases, the dispute poll and the re-encryption of webhook secrets (plus any
 * extra jobs). Every job is safe to run on many instances at once (leases, SKIP LOCKED, status
 * guards). Each acts as the system actor named after it, never as an operator.
 */
export function startBackgroundWork(deps: Deps, extraJobs: Job[] = []): BackgroundWork {
  const jobs: Job[] = [
    { name: 'recover-purchases', everyMs: deps.config.RECOVERY_INTERVAL, run: recoverPurchases },
    { name: 'expire-purchases', everyMs: 5_000, run: expirePurchases },
    // Refunds left pending by an acquirer failure, asked again with the same key; disputes the callback may have missed.
    { name: 'recover-refunds', everyMs: deps.config.RECOVERY_INTERVAL, run: recoverRefunds },
    { name: 'poll-disputes', everyMs: deps.config.RECOVERY_INTERVAL, run: pollDisputes },
    // After a WEBHOOK_SECRET_KEY rotation: stored webhook secrets move to the new key (a no-op query otherwise).
    { name: 'reencrypt-webhook-secrets', everyMs: 10 * 60_000, run: reencryptWebhookSecrets },
    ...extraJobs,
  ];
  const timers: NodeJS.Timeout[] = [];
  const running = new Set<Promise<unknown>>();
  let stopped = false;
  const runJob = (job: Job, logger: Logger) => {
    const promise = job
      .run({ deps, principal: systemActor(job.name), requestId: `background:${job.name}`, ip: null })
      .catch((error: unknown) =>
        logger.warn({ err: error, job: job.name }, 'background job failed; it runs again at its next tick'),
      )
      .finally(() => running.delete(promise));
    running.add(promise);
    return promise;
  };
  for (const job of jobs) {
    let busy = false;
    const timer = setInterval(() => {
      if (busy || stopped) return;
      busy = true;
      void runJob(job, deps.logger).finally(() => (busy = false));
    }, job.everyMs);
    timer.unref();
    timers.push(timer);
  }
  return {
    async runOnce() {
      await Promise.all(jobs.map((job) => runJob(job, deps.logger)));
    },
    async stop() {
      stopped = true;
      for (const timer of timers) clearInterval(timer);
      await Promise.allSettled([...running]);
    },
  };
}
