import { accessSync, constants, mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { newReceiptSigningJwk } from './shared/receipt-signing-key.js';

const durationMs = z
  .string()
  .regex(/^\d+(ms|s|m|h|d)$/, 'a duration such as 500ms, 30s, 15m, 24h or 3d')
  .transform((value) => {
    const [, n, unit] = /^(\d+)(ms|s|m|h|d)$/.exec(value) as RegExpExecArray;
    const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit as 'ms'];
    return Number(n) * factor;
  });

const secret = z.string().min(32, 'at least 32 characters').optional();

/** Where OTLP/HTTP exports go. */
const otlpUrl = z
  .string()
  .url()
  .regex(/^https?:\/\//i, 'an http:// or https:// URL');

/** OpenTelemetry's variables treat an empty value as unset. */
const unsetIfEmpty = (value: unknown) => (value === '' ? undefined : value);

const environmentSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().default('127.0.0.1'),
  PUBLIC_URL: z.string().url().optional(),
  DATA_DIR: z.string().default('./.data'),
  DATABASE_URL: z.string().url().optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(20),
  REDIS_URL: z.string().url().optional(),
  /**
   * Seed nodes of a Redis Cluster, comma-separated redis:// URLs; when set, the cluster client is
   * used instead of REDIS_URL (every script keeps its keys in one slot with hash tags).
   */
  REDIS_CLUSTER_URLS: z
    .string()
    .optional()
    .transform((raw) =>
      raw === undefined || raw.trim() === ''
        ? []
        : raw
            .split(',')
            .map((url) => url.trim())
            .filter(Boolean),
    )
    .pipe(
      z.array(
        z
          .string()
          .url()
          .regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL'),
      ),
    ),
  REDIS_COMMAND_TIMEOUT: durationMs.default(1000),
  /** Prefix of every Redis key, so that several deployments (or test runs) can share one Redis. */
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_-]{1,64}$/)
    .default('coinslot:'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TOKEN_PEPPER: secret,
  CARD_FINGERPRINT_KEY: secret,
  RECEIPT_SIGNING_KEYS: z.string().optional(),
  OPERATOR_TOKEN: secret,
  SESSION_TTL: durationMs.default(30 * 86_400_000),
  /**
   * How long an instance may answer a credential from memory instead of Postgres. Revocations reach
   * every instance through pub/sub at once; this bounds the exposure only when that announcement is
   * lost (Redis down while revoking), hence the cap. 0 turns the cache off.
   */
  PRINCIPAL_CACHE_TTL: z
    .preprocess((value) => (value === '0' ? '0ms' : value), durationMs)
    .default(10_000)
    .refine((ms) => ms <= 5 * 60_000, 'at most 5m'),
  IDEMPOTENCY_RETENTION: durationMs.default(24 * 3_600_000),
  IDEMPOTENCY_LOCK_TTL: durationMs.default(60_000),
  /** Key that encrypts every response the idempotency layer keeps in Redis (AES-256-GCM, derived with HKDF). */
  IDEMPOTENCY_ENCRYPTION_KEY: secret,
  /** Earlier IDEMPOTENCY_ENCRYPTION_KEYs, comma-separated: they only decrypt (keep one for IDEMPOTENCY_RETENTION after a rotation). */
  IDEMPOTENCY_ENCRYPTION_KEY_PREVIOUS: z
    .string()
    .optional()
    .refine(
      (v) => (v ?? '').split(',').every((k) => k.trim().length === 0 || k.trim().length >= 32),
      'each key at least 32 characters',
    ),
  /** Completed responses an instance keeps in memory to replay without Redis (0: none). */
  IDEMPOTENCY_REPLAY_CACHE: z.coerce.number().int().min(0).max(1_000_000).default(5_000),
  PURCHASE_CONFIRMATION_TTL: durationMs.default(15 * 60_000),
  /**
   * How long an unconfirmed purchase holds its stock (never longer than the confirmation TTL); then
   * the units go back on sale and confirming takes them again, or answers OutOfStock.
   */
  PURCHASE_STOCK_HOLD: durationMs.default(3 * 60_000),
  /** Unconfirmed purchases a player may have waiting in one game; the next answers LimitReached. */
  PURCHASE_MAX_UNCONFIRMED: z.coerce.number().int().min(1).max(100).default(5),
  RECOVERY_INTERVAL: durationMs.default(5_000),
  RECOVERY_THRESHOLD: durationMs.default(30_000),
  /**
   * Recovery passes that may fail to settle a charged purchase before its charge is voided or
   * refunded at the acquirer and the purchase ends FAILED (settlement_failed), listed for operators.
   */
  RECOVERY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(5),
  ACQUIRER_URL: z.string().url().optional(),
  ACQUIRER_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  ACQUIRER_SECRET: secret,
  ACQUIRER_TEST_MODE: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  ACQUIRER_TIMEOUT: durationMs.default(10_000),
  ACQUIRER_DISPUTE_DELAY: durationMs.default(5_000),
  WEBHOOK_RETRY_SCHEDULE: z
    .string()
    // 12 attempts over about 3 days (67.6 h of delays before jitter), as Standard Webhooks senders do.
    .default('5s,5m,30m,2h,5h,10h,10h,10h,10h,10h,10h')
    .transform((v, ctx) => {
      const parts = v.split(',').map((p) => durationMs.safeParse(p.trim()));
      if (parts.some((p) => !p.success)) {
        ctx.addIssue({ code: 'custom', message: 'comma-separated durations such as 5s,5m,30m' });
        return z.NEVER;
      }
      return parts.map((p) => p.data as number);
    }),
  WEBHOOK_TIMEOUT: durationMs.default(10_000),
  /** How often each instance looks for due webhook events (a publish after commit wakes it sooner). */
  WEBHOOK_POLL_INTERVAL: durationMs.default(2_000),
  /** off: this instance delivers no webhooks (API-only instances, or tests that drive their own dispatcher). */
  WEBHOOK_DISPATCHER: z
    .enum(['on', 'off'])
    .default('on')
    .transform((v) => v === 'on'),
  /**
   * Webhooks (and every other call to a developer-supplied URL) may go to loopback, private (RFC 1918),
   * carrier-grade NAT and unique-local addresses: for tests and a local demo only, never implied by
   * production. Link-local, metadata and other special addresses stay refused.
   */
  WEBHOOK_ALLOW_PRIVATE_NETWORK: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  /** How long a rotated-out webhook secret keeps signing beside the new one. */
  WEBHOOK_SECRET_OVERLAP: durationMs.default(24 * 3_600_000),
  /** Key that encrypts the games' webhook secrets at rest (AES-256-GCM, derived with HKDF). */
  WEBHOOK_SECRET_KEY: secret,
  /** Earlier WEBHOOK_SECRET_KEYs, comma-separated: they only decrypt, until every secret is sealed again under the current one. */
  WEBHOOK_SECRET_KEY_PREVIOUS: z
    .string()
    .optional()
    .refine(
      (v) => (v ?? '').split(',').every((k) => k.trim().length === 0 || k.trim().length >= 32),
      'each key at least 32 characters',
    ),
  /** How long a receipt stays valid (its `exp`); a retired signing key stays published this long. */
  RECEIPT_TTL: durationMs.default(365 * 86_400_000),
  RISK_DAILY_CAPS: z.string().default('USD:50000,EUR:50000,GBP:45000,JPY:75000,KWD:150000'),
  /** A first charge on a card added minutes ago steps up above these amounts (minor units per currency). */
  RISK_NEW_CARD_AMOUNTS: z.string().default('USD:5000,EUR:5000,GBP:4500,JPY:7500,KWD:15000'),
  /** API rate limits (GCRA): requests per API_RATE_LIMIT_PERIOD per credential and per client IP. */
  API_RATE_LIMIT_PER_CREDENTIAL: z.coerce.number().int().min(1).default(600),
  API_RATE_LIMIT_PER_IP: z.coerce.number().int().min(1).default(1200),
  API_RATE_LIMIT_PERIOD: durationMs.default(60_000),
  /** Behind one trusted proxy (load balancer): the client IP is the last X-Forwarded-For entry. */
  API_RATE_LIMIT_TRUST_PROXY: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  /** Recovery and expiry loops; off only in tests that drive them by hand. */
  BACKGROUND_JOBS: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  /** Demo developer and game on an empty database; GraphiQL; introspection. Default: on in development, off in production. */
  SEED_DEMO: z.enum(['true', 'false']).optional(),
  GRAPHIQL: z.enum(['true', 'false']).optional(),
  INTROSPECTION: z.enum(['true', 'false']).optional(),
  /** Bearer token /metrics asks for; in production without it /metrics answers no one. */
  METRICS_TOKEN: z.string().min(16, 'at least 16 characters').optional(),
  /**
   * host:port of a second listener that serves only /metrics (e.g. 127.0.0.1:9464, reachable by the
   * scraper alone); the main address then answers /metrics with 404. With METRICS_TOKEN too, both apply.
   */
  METRICS_ADDRESS: z
    .string()
    .regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/, 'host:port, such as 127.0.0.1:9464 or [::1]:9464')
    .optional(),
  /** How long an instance keeps its snapshot of the games' registered origins (CORS); 0: every request reads it. */
  CORS_ORIGINS_TTL: z
    .preprocess((value) => (value === '0' ? '0ms' : value), durationMs)
    .default(30_000)
    .refine((ms) => ms <= 10 * 60_000, 'at most 10m'),
  /**
   * OpenTelemetry traces, exported over OTLP/HTTP only when an endpoint is set (the OTel SDK is not
   * even loaded otherwise). The base URL gets `/v1/traces` appended; the traces one is used as it is.
   */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.preprocess(unsetIfEmpty, otlpUrl.optional()),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.preprocess(unsetIfEmpty, otlpUrl.optional()),
  OTEL_EXPORTER_OTLP_PROTOCOL: z.preprocess(
    unsetIfEmpty,
    z
      .enum(['http/protobuf', 'http/json'], { message: 'http/protobuf or http/json (grpc is not supported)' })
      .default('http/protobuf'),
  ),
  /** Headers of every export (`api-key=…,x-tenant=…`, values URL-encoded): may hold a credential, never printed. */
  OTEL_EXPORTER_OTLP_HEADERS: z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .regex(/^\s*[^=,\s]+\s*=[^,]*(,\s*[^=,\s]+\s*=[^,]*)*$/, 'key=value pairs separated by commas')
      .optional(),
  ),
  OTEL_SERVICE_NAME: z.preprocess(unsetIfEmpty, z.string().max(255).default('coinslot')),
  OTEL_SDK_DISABLED: z.preprocess(
    unsetIfEmpty,
    z
      .enum(['true', 'false'])
      .default('false')
      .transform((v) => v === 'true'),
  ),
  OTEL_TRACES_SAMPLER: z.preprocess(
    unsetIfEmpty,
    z
      .enum([
        'always_on',
        'always_off',
        'traceidratio',
        'parentbased_always_on',
        'parentbased_always_off',
        'parentbased_traceidratio',
      ])
      .default('parentbased_always_on'),
  ),
  /** The ratio of the *traceidratio samplers, 0 to 1. */
  OTEL_TRACES_SAMPLER_ARG: z.preprocess(unsetIfEmpty, z.coerce.number().min(0).max(1).default(1)),
  /** Request bodies above this get 413 before parsing. */
  MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(100 * 1_048_576)
    .default(1_048_576),
});

export type Environment = z.infer<typeof environmentSchema>;

export class ConfigError extends Error {}

/** Everything the process is configured with, read once at start. */
export interface Config
  extends Omit<
    Environment,
    | 'TOKEN_PEPPER'
    | 'CARD_FINGERPRINT_KEY'
    | 'OPERATOR_TOKEN'
    | 'ACQUIRER_SECRET'
    | 'WEBHOOK_SECRET_KEY'
    | 'WEBHOOK_SECRET_KEY_PREVIOUS'
    | 'IDEMPOTENCY_ENCRYPTION_KEY'
    | 'IDEMPOTENCY_ENCRYPTION_KEY_PREVIOUS'
    | 'OTEL_EXPORTER_OTLP_HEADERS'
    | 'SEED_DEMO'
    | 'GRAPHIQL'
    | 'INTROSPECTION'
  > {
  readonly SEED_DEMO: boolean;
  readonly GRAPHIQL: boolean;
  readonly INTROSPECTION: boolean;
  readonly dataDir: string;
  readonly redisUrlWasSet: boolean;
  /** Cards go to the sandbox acquirer (in-process, or one in test mode): its published test cards apply. */
  readonly sandbox: boolean;
  readonly secrets: {
    readonly tokenPepper: string;
    readonly cardFingerprintKey: string;
    readonly operatorToken: string;
    readonly acquirerSecret: string;
    readonly webhookSecretKey: string;
    /** WEBHOOK_SECRET_KEY_PREVIOUS, split: keys that still open secrets sealed before a rotation. */
    readonly webhookSecretKeysPrevious: readonly string[];
    /** JSON array of private EC P-256 JWKs; the first signs receipts, the others are only published. */
    readonly receiptSigningKeys: string;
    /** IDEMPOTENCY_ENCRYPTION_KEY first, then IDEMPOTENCY_ENCRYPTION_KEY_PREVIOUS: the first seals, all open. */
    readonly idempotencyEncryptionKeys: readonly string[];
    /** OTEL_EXPORTER_OTLP_HEADERS, parsed: sent with every trace export (a collector's API key). */
    readonly otlpHeaders: Readonly<Record<string, string>>;
  };
  /** Names of secrets generated into DATA_DIR because they were not configured. */
  readonly generatedSecrets: readonly string[];
}

/** Parses the environment; throws ConfigError naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = environmentSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const values = parsed.data;
  const dataDir = resolve(values.DATA_DIR);
  const generatedSecrets: string[] = [];
  const production = values.NODE_ENV === 'production';
  if (production) {
    // Everything production needs is checked before anything is written (no secret file, no database).
    const missing = [
      ...SECRET_NAMES,
      'DATABASE_URL',
      ...(values.REDIS_CLUSTER_URLS.length > 0 ? [] : ['REDIS_URL']),
    ].filter((name) => !values[name as keyof typeof values]);
    const issues = missing.map((name) => `  ${name}: required in production`);
    if (issues.length > 0) throw new ConfigError(`Invalid configuration:\n${issues.join('\n')}`);
  }
  // Production starts closed: tooling and demo data only when asked for by name.
  const flag = (value: 'true' | 'false' | undefined) => (value === undefined ? !production : value === 'true');
  const seedDemo = flag(values.SEED_DEMO);
  // The demo seed keeps its keys in DATA_DIR, and generated secrets and PGlite live there: a DATA_DIR
  // that cannot be written is refused now, before a secret is generated or a demo row is seeded.
  const generates = !production && SECRET_NAMES.some((name) => !values[name]);
  if (seedDemo || generates || !values.DATABASE_URL) usableDataDir(dataDir);
  const secretOf = (name: (typeof SECRET_NAMES)[number]): string => {
    const configured = values[name];
    if (configured) return configured;
    if (production) throw new ConfigError(`Invalid configuration:\n  ${name}: required in production`);
    const { value, created } = readOrCreateSecret(dataDir, name);
    if (created) generatedSecrets.push(name);
    return value;
  };
  const { OTEL_EXPORTER_OTLP_HEADERS: otlpHeaders, ...rest } = values;
  return {
    ...rest,
    SEED_DEMO: seedDemo,
    GRAPHIQL: flag(values.GRAPHIQL),
    INTROSPECTION: flag(values.INTROSPECTION),
    dataDir,
    redisUrlWasSet: values.REDIS_URL !== undefined,
    sandbox: values.ACQUIRER_URL === undefined || values.ACQUIRER_TEST_MODE,
    REDIS_URL: values.REDIS_URL ?? 'redis://127.0.0.1:6379',
    secrets: {
      tokenPepper: secretOf('TOKEN_PEPPER'),
      cardFingerprintKey: secretOf('CARD_FINGERPRINT_KEY'),
      operatorToken: secretOf('OPERATOR_TOKEN'),
      acquirerSecret: secretOf('ACQUIRER_SECRET'),
      webhookSecretKey: secretOf('WEBHOOK_SECRET_KEY'),
      webhookSecretKeysPrevious: (values.WEBHOOK_SECRET_KEY_PREVIOUS ?? '')
        .split(',')
        .map((k) => k.trim())
        .filter((k) => k.length > 0),
      receiptSigningKeys: secretOf('RECEIPT_SIGNING_KEYS'),
      idempotencyEncryptionKeys: [
        secretOf('IDEMPOTENCY_ENCRYPTION_KEY'),
        ...(values.IDEMPOTENCY_ENCRYPTION_KEY_PREVIOUS ?? '')
          .split(',')
          .map((k) => k.trim())
          .filter((k) => k.length > 0),
      ],
      otlpHeaders: parseOtlpHeaders(otlpHeaders),
    },
    generatedSecrets,
  };
}

/** OTEL_EXPORTER_OTLP_HEADERS (`k=v,k2=v2`, values URL-encoded) as a record. */
function parseOtlpHeaders(raw: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of (raw ?? '').split(',')) {
    const at = pair.indexOf('=');
    if (at <= 0) continue;
    const value = pair.slice(at + 1).trim();
    try {
      headers[pair.slice(0, at).trim().toLowerCase()] = decodeURIComponent(value);
    } catch {
      headers[pair.slice(0, at).trim().toLowerCase()] = value;
    }
  }
  return headers;
}

/** The secrets a development start generates into DATA_DIR when they are not configured. */
const SECRET_NAMES = [
  'TOKEN_PEPPER',
  'CARD_FINGERPRINT_KEY',
  'OPERATOR_TOKEN',
  'ACQUIRER_SECRET',
  'WEBHOOK_SECRET_KEY',
  'IDEMPOTENCY_ENCRYPTION_KEY',
  'RECEIPT_SIGNING_KEYS',
] as const;

/** DATA_DIR, created when missing; a ConfigError naming it when it cannot be created or written. */
function usableDataDir(dataDir: string): void {
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    accessSync(dataDir, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ConfigError(
      `Invalid configuration:\n  DATA_DIR: ${dataDir} cannot be written (${code}); the demo seed, generated secrets and the embedded database keep their files there`,
    );
  }
}

/** Secrets for the embedded default live in DATA_DIR/secrets, created on first run and kept. */
function readOrCreateSecret(dataDir: string, name: string): { value: string; created: boolean } {
  const dir = join(dataDir, 'secrets');
  const file = join(dir, name.toLowerCase());
  if (existsSync(file)) return { value: readFileSync(file, 'utf8').trim(), created: false };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const value =
    name === 'OPERATOR_TOKEN'
      ? `op_${randomBytes(32).toString('base64url')}`
      : name === 'RECEIPT_SIGNING_KEYS'
        ? JSON.stringify([newReceiptSigningJwk()])
        : randomBytes(32).toString('base64url');
  writeFileSync(file, `${value}\n`, { mode: 0o600, flag: 'wx' });
  return { value, created: true };
}
