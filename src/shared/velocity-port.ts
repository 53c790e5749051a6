/**
 * The velocity store: the counters behind the fraud rules, read and updated atomically in one
 * round trip per call (Redis: one Lua script, src/adapters/redis/scripts/velocity-rules.lua; an
 * in-process twin for the embedded default). Time is always the caller's (`nowMs`, from the
 * injected Clock), never the store's, so tests can cross window edges.
 *
 * Windows are sliding logs, exact at their edges: an entry made at `t` counts while `now < t + window`.
 * Thresholds travel with each call (a game may override them), so the store holds no settings.
 *
 * Every value reported for a decision includes the attempt being evaluated. Retry-afters are
 * milliseconds until the counter would allow the same attempt again (0 when it allows it now,
 * null when waiting cannot help, e.g. one purchase above the whole daily cap).
 */

/** Fixed windows of the rules (the thresholds are configurable, the windows are not). */
export const VELOCITY_WINDOWS = {
  minuteMs: 60_000,
  hourMs: 3_600_000,
  dayMs: 86_400_000,
  /** How long the rank a card was added with is kept (its first charge may come much later). */
  cardRankRetentionMs: 30 * 86_400_000,
  /** Longest decline block a game may configure; the decline log is kept for window + this. */
  maxDeclineBlockMs: 86_400_000,
} as const;

/** Thresholds of the purchase rules, as the game's effective settings give them. */
export interface PurchaseVelocityLimits {
  /** At most this many purchases per player in any minute (the next one is blocked). */
  readonly purchasesPerMinute: number;
  /** At most this many purchases per player in any hour. */
  readonly purchasesPerHour: number;
  /** At most this much (minor units of the request's currency) per player in any 24 hours. */
  readonly dailyAmountCap: number;
  /** This many declines of a player within an hour block them for `declineBlockMs`. */
  readonly declinesToBlock: number;
  readonly declineBlockMs: number;
  /** Blocked when this many players (this one included) used the card in 24 hours. */
  readonly playersPerCardBlockAt: number;
  /** Blocked when this many distinct cards (this one included) came from the IP in an hour. */
  readonly cardsPerIpBlockAt: number;
  /** Blocked when this many distinct cards (this one included) came from the device in an hour. */
  readonly cardsPerDeviceBlockAt: number;
}

export interface PurchaseVelocityRequest {
  readonly nowMs: number;
  readonly playerId: string;
  /** Unique per purchase (its id): evaluating the same purchase again counts it once. */
  readonly attemptId: string;
  readonly amountMinor: number;
  readonly currency: string;
  /** Keyed fingerprint of the card to charge; null when no card is involved. */
  readonly cardFingerprint: string | null;
  readonly ip: string | null;
  readonly deviceId: string | null;
  readonly limits: PurchaseVelocityLimits;
}

/** A counter's value (this attempt included) and when it would allow the attempt. */
export interface VelocityCounter {
  readonly value: number;
  /** 0 when within the limit; ms until it is again; null when waiting cannot help. */
  readonly retryAfterMs: number | null;
}

export interface PurchaseVelocityResult {
  /** True when a blocking counter refused the attempt: it was not counted as a purchase. */
  readonly blocked: boolean;
  /** Whether the purchase and its amount were counted (false when blocked). */
  readonly recorded: boolean;
  readonly purchasesLastMinute: VelocityCounter;
  readonly purchasesLastHour: VelocityCounter;
  /** Amount of the currency in the last 24 hours, this purchase included. */
  readonly amountLastDay: VelocityCounter;
  /** Declines of the player in the last hour (not counting this attempt, which is not a decline). */
  readonly declinesLastHour: number;
  /** Clock ms until which the player is blocked for declines; null when not blocked. */
  readonly declineBlockUntilMs: number | null;
  /** Players that used the card in 24 hours, this one included; 0 without a card. */
  readonly playersOnCard: VelocityCounter;
  /** Distinct cards from the IP / device in an hour, this one included; 0 without one. */
  readonly cardsOnIp: VelocityCounter;
  readonly cardsOnDevice: VelocityCounter;
  /**
   * The rank the card had among the player's distinct cards added within 24 hours when it was
   * added (1 = first); null when the store never saw it added.
   */
  readonly cardAddRank: number | null;
  /**
   * Whether this attempt is the first counted purchase of the player on the card (the store keeps
   * the attempt id of the first one, so the same purchase evaluated again is still the first).
   */
  readonly firstChargeOnCard: boolean;
}

export interface CardAddVelocityLimits {
  /** The player's Nth distinct card within 24 hours is refused. */
  readonly cardsPerPlayerRefuseAt: number;
  readonly playersPerCardBlockAt: number;
  readonly cardsPerIpBlockAt: number;
  readonly cardsPerDeviceBlockAt: number;
  readonly declinesToBlock: number;
  readonly declineBlockMs: number;
}

export interface CardAddVelocityRequest {
  readonly nowMs: number;
  readonly playerId: string;
  readonly fingerprint: string;
  readonly ip: string | null;
  readonly deviceId: string | null;
  readonly limits: CardAddVelocityLimits;
}

export interface CardAddVelocityResult {
  /** True when a counter refused the card; it was then not counted as one of the player's cards. */
  readonly blocked: boolean;
  /** Distinct cards of the player in 24 hours with this one; a card already counted is not new. */
  readonly cardsOfPlayer: VelocityCounter;
  readonly playersOnCard: VelocityCounter;
  readonly cardsOnIp: VelocityCounter;
  readonly cardsOnDevice: VelocityCounter;
  readonly declinesLastHour: number;
  readonly declineBlockUntilMs: number | null;
  /** The card's rank among the player's cards of the last 24 hours (stored for its first charge); null when refused. */
  readonly rank: number | null;
}

export interface DeclineRequest {
  readonly nowMs: number;
  readonly playerId: string;
  /** The declined purchase (or card add), so that a repeated report counts once. */
  readonly attemptId: string;
  /** When the declined attempt was a purchase: its amount reservation is released. */
  readonly currency: string | null;
  /** Thresholds to report the block state with (the platform defaults when no game is known). */
  readonly declinesToBlock: number;
  readonly declineBlockMs: number;
}

export interface DeclineResult {
  readonly declinesLastHour: number;
  readonly declineBlockUntilMs: number | null;
}

export interface ReleaseRequest {
  readonly playerId: string;
  readonly attemptId: string;
  readonly currency: string;
}

/** One subject of an API rate limit: GCRA with `limit` requests per `periodMs`. */
export interface ThrottleCheck {
  readonly key: string;
  readonly limit: number;
  readonly periodMs: number;
}

export interface ThrottleOutcome {
  readonly allowed: boolean;
  readonly limit: number;
  /** Requests still allowed right now after this one. */
  readonly remaining: number;
  /** Ms until the whole quota is available again. */
  readonly resetMs: number;
  /** Ms until a refused request may be retried; 0 when allowed. */
  readonly retryAfterMs: number;
}

export interface VelocityStore {
  /** Reads every counter of a purchase decision, applies the blocking thresholds and records it when not blocked. */
  evaluate(request: PurchaseVelocityRequest): Promise<PurchaseVelocityResult>;
  /** The same for a card being added: refused cards are not counted as the player's, but still as tried from the IP/device. */
  evaluateCardAdd(request: CardAddVelocityRequest): Promise<CardAddVelocityResult>;
  /** Counts a decline of the player (and releases the declined purchase's amount). */
  recordDecline(request: DeclineRequest): Promise<DeclineResult>;
  /** Gives back a purchase's amount reservation (canceled or failed without a charge). */
  releasePurchase(request: ReleaseRequest): Promise<void>;
  /**
   * API rate limits: counts one request against every check, only if all allow it (GCRA, one call).
   * The outcomes are in the order of the checks.
   */
  throttle(nowMs: number, checks: readonly ThrottleCheck[]): Promise<ThrottleOutcome[]>;
}
