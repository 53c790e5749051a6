/**
 * The configuration values that modules and the GraphQL layer read from `Deps.config`, typed here so
 * that they never import src/config.ts: the composition root parses the environment once and hands
 * its Config down (Config satisfies this interface). A module that needs a new value adds it here.
 * Durations are milliseconds.
 */
export interface Settings {
  /** Production refuses development conveniences (http origins and redirect URIs on loopback). */
  readonly NODE_ENV: 'development' | 'production' | 'test';
  /** The platform's public address, the `iss` of receipts; unset in development. */
  readonly PUBLIC_URL?: string | undefined;
  readonly SESSION_TTL: number;
  readonly PURCHASE_CONFIRMATION_TTL: number;
  /** How long an unconfirmed purchase holds its stock (capped by the confirmation TTL). */
  readonly PURCHASE_STOCK_HOLD: number;
  /** Unconfirmed purchases a player may have waiting per game. */
  readonly PURCHASE_MAX_UNCONFIRMED: number;
  /** Recovery passes that may fail to settle a charged purchase before it is voided or refunded and FAILED. */
  readonly RECOVERY_MAX_ATTEMPTS: number;
  /** How often the recovery jobs run, and how old a PROCESSING purchase or pending refund must be. */
  readonly RECOVERY_INTERVAL: number;
  readonly RECOVERY_THRESHOLD: number;
  readonly IDEMPOTENCY_RETENTION: number;
  readonly IDEMPOTENCY_LOCK_TTL: number;
  readonly WEBHOOK_RETRY_SCHEDULE: readonly number[];
  readonly WEBHOOK_TIMEOUT: number;
  readonly WEBHOOK_POLL_INTERVAL: number;
  readonly WEBHOOK_SECRET_OVERLAP: number;
  readonly RECEIPT_TTL: number;
  /** Platform fraud amounts per currency, `USD:50000,EUR:…` (minor units). */
  readonly RISK_DAILY_CAPS: string;
  readonly RISK_NEW_CARD_AMOUNTS: string;
  readonly API_RATE_LIMIT_PER_CREDENTIAL: number;
  readonly API_RATE_LIMIT_PER_IP: number;
  readonly API_RATE_LIMIT_PERIOD: number;
  /** Behind one trusted proxy: the client address is the last X-Forwarded-For entry. */
  readonly API_RATE_LIMIT_TRUST_PROXY: boolean;
  /** Cards go to the sandbox acquirer: its published test cards apply. */
  readonly sandbox: boolean;
  readonly secrets: SettingsSecrets;
}

/** The secrets modules use (never logged, never stored in plain text). */
export interface SettingsSecrets {
  readonly tokenPepper: string;
  readonly cardFingerprintKey: string;
  readonly operatorToken: string;
  readonly webhookSecretKey: string;
  /** Keys that still open webhook secrets sealed before a rotation. */
  readonly webhookSecretKeysPrevious: readonly string[];
  /** JSON array of private EC P-256 JWKs; the first signs receipts, the others are only published. */
  readonly receiptSigningKeys: string;
}
