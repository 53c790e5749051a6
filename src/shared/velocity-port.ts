/**
 * The velocity store: the counters behind the fraud rules (Redis: src/adapters/redis/scripts/velocity-rules.lua;
 * an in-process twin for the embedded default). The player's counters are read, checked and
 * updated atomically in one script call; the card's, the address's and the device's live in other
 * Redis Cluster slots and are read (and touched) first, in calls pipelined together. Time is always
 * the caller's (`nowMs`, from the injected Clock), never the store's, so tests can cross window edges.
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
  /** Longest decline lock-out a game may configure (the cap of the escalation). */
  maxDeclineBlockMs: 86_400_000,
  /** The first decline lock-out of a day; each further one within 24 hours lasts 3 times longer, up to the cap. */
  firstDeclineLockMs: 5 * 60_000,
  /** Declined cards from one address count toward "card testing from this address" for this long. */
  addressDeclineMs: 15 * 60_000,
} as const;

/**
 * Weight of a decline. A bank decline (insufficient funds, do not honor, stolen…) says more about
 * card testing than a mistyped CVC, which honest players make all the time.
 */
export const DECLINE_POINTS = { bank: 2, incorrectCvc: 1 } as const;
export type DeclineKind = 'bank' | 'incorrect_cvc';

/** The points a decline weighs: incorrect_cvc 1, any other card decline 2. */
export function declinePoints(kind: DeclineKind): number {
  return kind === 'incorrect_cvc' ? DECLINE_POINTS.incorrectCvc : DECLINE_POINTS.bank;
}

/**
 * How long the player's `level`-th decline lock-out within 24 hours lasts (level 0 = the first):
 * 5 minutes, then 15, 45, 135…, never longer than `capMs`.
 */
export function declineLockMs(level: number, capMs: number): number {
  return Math.min(VELOCITY_WINDOWS.firstDeclineLockMs * 3 ** Math.min(level, 20), capMs);
}

/** Thresholds of the purchase rules, as the game's effective settings give them. */
export interface PurchaseVelocityLimits {
  /** At most this many purchases per player in any minute (the next one is blocked). */
  readonly purchasesPerMinute: number;
  /** At most this many purchases per player in any hour. */
  readonly purchasesPerHour: number;
  /** At most this much (minor units of the request's currency) per player in any 24 hours. */
  readonly dailyAmountCap: number;
  /**
   * This many bank declines within an hour (2 points each; a mistyped CVC is 1 point) lock the player
   * out: 5 minutes the first time in 24 hours, 3 times longer each further time, up to `declineBlockMs`.
   */
  readonly declinesToBlock: number;
  /** The longest decline lock-out (the cap of the escalation). */
  readonly declineBlockMs: number;
  /** A card that has not paid yet is blocked when this many players (this one included) used it in 24 hours. */
  readonly playersPerCardBlockAt: number;
  /** Signal: this many distinct cards from the address within an hour (the caller steps up a card that has not paid yet). */
  readonly cardsPerIpSignalAt: number;
  /** A card that has not paid yet is blocked when this many distinct cards came from the device within an hour. */
  readonly cardsPerDeviceBlockAt: number;
  /** The address is "card testing" while its declined cards weigh this many points within 15 minutes. */
  readonly addressDeclinePointsAt: number;
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
  /**
   * Whether this card already has successful charges with Coinslot (the database knows). Address,
   * device and shared-card counts never block such a card.
   */
  readonly cardHasPaid: boolean;
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

/** The player's decline record: weighted points since the last lock-out, and the lock-out in force. */
export interface DeclineState {
  /** Declines of the player in the last hour (a count, whatever their weight). */
  readonly declinesLastHour: number;
  /** Points of the declines within the last hour that came after the last lock-out began. */
  readonly declinePoints: number;
  /** Lock-outs of the player that began within the last 24 hours (the next one lasts longer). */
  readonly lockOuts: number;
  /** Clock ms until which the player is locked out for declines; null when not. */
  readonly declineBlockUntilMs: number | null;
}

/**
 * Counters of the subjects other than the player: the card (players using it), the address (cards
 * tried from it, and the weight of its declined cards) and the device. Each lives in its own Redis
 * Cluster slot, so the store reads them in calls of their own before the player's.
 */
export interface SubjectCounters {
  /** Players that used the card in 24 hours, this one included; 0 without a card. */
  readonly playersOnCard: VelocityCounter;
  /** Distinct cards from the IP / device in an hour, this one included; 0 without one. */
  readonly cardsOnIp: VelocityCounter;
  readonly cardsOnDevice: VelocityCounter;
  /** Points of the cards declined from the address in 15 minutes; retry = ms until below the threshold. */
  readonly addressDeclinePoints: VelocityCounter;
}

export interface PurchaseVelocityResult extends DeclineState, SubjectCounters {
  /** True when a blocking counter refused the attempt: it was not counted as a purchase. */
  readonly blocked: boolean;
  /** Whether the purchase and its amount were counted (false when blocked). */
  readonly recorded: boolean;
  readonly purchasesLastMinute: VelocityCounter;
  readonly purchasesLastHour: VelocityCounter;
  /** Amount of the currency in the last 24 hours, this purchase included. */
  readonly amountLastDay: VelocityCounter;
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
  readonly cardsPerIpSignalAt: number;
  readonly cardsPerDeviceBlockAt: number;
  readonly addressDeclinePointsAt: number;
  readonly declinesToBlock: number;
  readonly declineBlockMs: number;
}

export interface CardAddVelocityRequest {
  readonly nowMs: number;
  readonly playerId: string;
  readonly fingerprint: string;
  /** Whether the player has a card with successful charges (an address under card testing does not refuse them). */
  readonly playerHasPaid: boolean;
  readonly ip: string | null;
  readonly deviceId: string | null;
  readonly limits: CardAddVelocityLimits;
}

export interface CardAddVelocityResult extends DeclineState, SubjectCounters {
  /** True when a counter refused the card; it was then not counted as one of the player's cards. */
  readonly blocked: boolean;
  /** Distinct cards of the player in 24 hours with this one; a card already counted is not new. */
  readonly cardsOfPlayer: VelocityCounter;
  /** The card's rank among the player's cards of the last 24 hours (stored for its first charge); null when refused. */
  readonly rank: number | null;
}

export interface DeclineRequest {
  readonly nowMs: number;
  readonly playerId: string;
  /** The declined purchase (or card add), so that a repeated report counts once. */
  readonly attemptId: string;
  /** A mistyped CVC weighs 1 point, any other decline 2. */
  readonly kind: DeclineKind;
  /** When the declined attempt was a purchase: its amount reservation is released. */
  readonly currency: string | null;
  /** Where the declined card came from: it counts toward card testing from the address. */
  readonly ip: string | null;
  /** The declined card (a card declined twice from one address counts once there). */
  readonly cardFingerprint: string | null;
  /** Thresholds to report the block state with (the platform defaults when no game is known). */
  readonly declinesToBlock: number;
  readonly declineBlockMs: number;
}

export type DeclineResult = DeclineState;

export interface ReleaseRequest {
  readonly playerId: string;
  readonly attemptId: string;
  readonly currency: string;
}

/**
 * Which subject counters refuse a purchase. Address counts never do (an address is a signal: many
 * honest players share one); the device and a card shared by several players refuse only a card
 * that has not paid yet. Both twins of the store and the fraud rules use this one function.
 */
export function purchaseSubjectBlocks(
  s: SubjectCounters,
  limits: Pick<PurchaseVelocityLimits, 'playersPerCardBlockAt' | 'cardsPerDeviceBlockAt'>,
  cardHasPaid: boolean,
): { playersOnCard: boolean; cardsOnDevice: boolean } {
  return {
    playersOnCard: !cardHasPaid && s.playersOnCard.value >= limits.playersPerCardBlockAt,
    cardsOnDevice: !cardHasPaid && s.cardsOnDevice.value > 0 && s.cardsOnDevice.value >= limits.cardsPerDeviceBlockAt,
  };
}

/**
 * Which subject counters refuse a card being added: a card shared by several players, many cards
 * from one device, and (for a player without a paid card) an address whose declined cards show
 * card testing right now.
 */
export function cardAddSubjectBlocks(
  s: SubjectCounters,
  limits: Pick<CardAddVelocityLimits, 'playersPerCardBlockAt' | 'cardsPerDeviceBlockAt' | 'addressDeclinePointsAt'>,
  playerHasPaid: boolean,
): { playersOnCard: boolean; cardsOnDevice: boolean; addressDeclines: boolean } {
  return {
    playersOnCard: s.playersOnCard.value >= limits.playersPerCardBlockAt,
    cardsOnDevice: s.cardsOnDevice.value > 0 && s.cardsOnDevice.value >= limits.cardsPerDeviceBlockAt,
    addressDeclines: !playerHasPaid && s.addressDeclinePoints.value >= limits.addressDeclinePointsAt,
  };
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
  /** Counts a decline of the player (and releases the declined purchase's amount) and of the address. */
  recordDecline(request: DeclineRequest): Promise<DeclineResult>;
  /** Gives back a purchase's amount reservation (canceled or failed without a charge). */
  releasePurchase(request: ReleaseRequest): Promise<void>;
  /**
   * API rate limits: counts one request against every check, only if all allow it (GCRA, one call).
   * The outcomes are in the order of the checks.
   */
  throttle(nowMs: number, checks: readonly ThrottleCheck[]): Promise<ThrottleOutcome[]>;
}
