import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { BusinessMetrics } from '../shared/metrics-port.js';

/** Prometheus metrics of one app instance (own registry, so tests can run several apps). */
export interface Metrics {
  readonly registry: Registry;
  readonly httpRequests: Counter<'route' | 'method' | 'status'>;
  readonly httpDuration: Histogram<'route' | 'method'>;
  readonly graphqlOperations: Counter<'operation' | 'outcome'>;
  readonly graphqlDuration: Histogram<'operation'>;
  /** What the modules count (purchases, declines, webhooks…), through the BusinessMetrics port. */
  readonly business: BusinessMetrics;
  /** Gives the outbox backlog gauge its reader, asked at every scrape (the root wires the webhooks module). */
  readOutboxBacklog(reader: () => Promise<number>): void;
}

/** At most this many distinct values per label; later new ones count as "other". */
const MAX_LABEL_VALUES = 64;

/**
 * Keeps a label bounded whatever the caller passes: a short token of lower-case letters, digits and
 * underscores (upper case folded for enums such as SUCCEEDED), one of the first MAX_LABEL_VALUES
 * seen; anything else is "other". An id or a free text can never become a time series.
 */
function boundedLabel(): (value: string) => string {
  const seen = new Set<string>();
  return (value) => {
    const v = String(value).toLowerCase();
    if (!/^[a-z][a-z0-9_]{0,39}$/.test(v)) return 'other';
    if (seen.has(v)) return v;
    if (seen.size >= MAX_LABEL_VALUES) return 'other';
    seen.add(v);
    return v;
  };
}

const LATENCY_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const LAG_BUCKETS = [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 21600, 86400];

function businessMetrics(registry: Registry): Pick<Metrics, 'business' | 'readOutboxBacklog'> {
  const registers = [registry];
  const purchases = new Counter({
    name: 'coinslot_purchases_total',
    help: 'Purchases that reached a status, by status and path (one_tap, confirmation, wallet).',
    labelNames: ['status', 'path'],
    registers,
  });
  const chargeDuration = new Histogram({
    name: 'coinslot_acquirer_charge_duration_seconds',
    help: 'Latency of acquirer charge calls, by outcome.',
    labelNames: ['outcome'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const declines = new Counter({
    name: 'coinslot_purchase_declines_total',
    help: 'Purchases that failed, by decline code.',
    labelNames: ['code'],
    registers,
  });
  const refunds = new Counter({
    name: 'coinslot_refunds_total',
    help: 'Refunds by outcome (pending, succeeded, failed).',
    labelNames: ['outcome'],
    registers,
  });
  const disputes = new Counter({
    name: 'coinslot_disputes_total',
    help: 'Disputes recorded, by outcome.',
    labelNames: ['outcome'],
    registers,
  });
  const deliveries = new Counter({
    name: 'coinslot_webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome (delivered, failed and retried, gave_up, no_endpoint).',
    labelNames: ['outcome'],
    registers,
  });
  const deliveryLag = new Histogram({
    name: 'coinslot_webhook_delivery_lag_seconds',
    help: 'Time from an event being written to a delivery attempt ending, by outcome.',
    labelNames: ['outcome'],
    buckets: LAG_BUCKETS,
    registers,
  });
  let backlogReader: (() => Promise<number>) | null = null;
  new Gauge({
    name: 'coinslot_webhook_outbox_backlog',
    help: 'Webhook events waiting to be delivered (read at scrape time).',
    registers,
    async collect() {
      if (backlogReader) this.set(await backlogReader());
    },
  });
  const idempotency = new Counter({
    name: 'coinslot_idempotency_requests_total',
    help: 'Idempotency-key outcomes other than a first run: replayed, key_reused, in_progress.',
    labelNames: ['outcome'],
    registers,
  });
  const fraud = new Counter({
    name: 'coinslot_fraud_decisions_total',
    help: 'Fraud decisions by decision and by rule that fired ("none" when no rule fired).',
    labelNames: ['decision', 'rule'],
    registers,
  });
  const recovery = new Counter({
    name: 'coinslot_recovery_actions_total',
    help: 'What the recovery loops did, by kind (purchase, refund) and action.',
    labelNames: ['kind', 'action'],
    registers,
  });
  const errors = new Counter({
    name: 'coinslot_graphql_errors_total',
    help: 'Errors in GraphQL answers by code, typed results (DECLINED, RATE_LIMITED…) and top-level errors alike.',
    labelNames: ['code'],
    registers,
  });
  const label = {
    status: boundedLabel(),
    path: boundedLabel(),
    chargeOutcome: boundedLabel(),
    code: boundedLabel(),
    refund: boundedLabel(),
    dispute: boundedLabel(),
    decision: boundedLabel(),
    rule: boundedLabel(),
    kind: boundedLabel(),
    action: boundedLabel(),
    errorCode: boundedLabel(),
  };
  const seconds = (n: number) => (Number.isFinite(n) && n >= 0 ? n : 0);
  const business: BusinessMetrics = {
    purchase: (status, path) => purchases.inc({ status: label.status(status), path: label.path(path) }),
    chargeLatency: (s, outcome) => chargeDuration.observe({ outcome: label.chargeOutcome(outcome) }, seconds(s)),
    decline: (code) => declines.inc({ code: label.code(code) }),
    refund: (outcome) => refunds.inc({ outcome: label.refund(outcome) }),
    dispute: (outcome) => disputes.inc({ outcome: label.dispute(outcome) }),
    webhookDelivery: (outcome, lag) => {
      deliveries.inc({ outcome });
      deliveryLag.observe({ outcome }, seconds(lag));
    },
    idempotency: (outcome) => idempotency.inc({ outcome }),
    fraudDecision: (decision, rule) => fraud.inc({ decision: label.decision(decision), rule: label.rule(rule) }),
    recovery: (kind, action) => recovery.inc({ kind: label.kind(kind), action: label.action(action) }),
    graphqlError: (code) => errors.inc({ code: label.errorCode(code) }),
  };
  return {
    business,
    readOutboxBacklog: (reader) => {
      backlogReader = reader;
    },
  };
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics) {
    collectDefaultMetrics({ register: registry, prefix: 'coinslot_' });
    // gauges named *_total, which Prometheus reserves for counters (promtool check metrics refuses
    // them); the same counts stay in coinslot_nodejs_active_{handles,requests,resources} by type
    for (const name of ['active_handles_total', 'active_requests_total', 'active_resources_total']) {
      registry.removeSingleMetric(`coinslot_nodejs_${name}`);
    }
  }
  return {
    registry,
    ...businessMetrics(registry),
    httpRequests: new Counter({
      name: 'coinslot_http_requests_total',
      help: 'HTTP requests by route, method and status.',
      labelNames: ['route', 'method', 'status'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'coinslot_http_request_duration_seconds',
      help: 'HTTP request latency by route.',
      labelNames: ['route', 'method'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [registry],
    }),
    graphqlOperations: new Counter({
      name: 'coinslot_graphql_operations_total',
      help: 'GraphQL operations by name and outcome (ok, typed_error: a typed error result, error: top-level errors).',
      labelNames: ['operation', 'outcome'],
      registers: [registry],
    }),
    graphqlDuration: new Histogram({
      name: 'coinslot_graphql_operation_duration_seconds',
      help: 'GraphQL execution latency by operation name.',
      labelNames: ['operation'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [registry],
    }),
  };
}
