import { eq, sql } from 'drizzle-orm';
import type { Settings } from '../../shared/settings.js';
import type { Executor } from '../../db/client.js';
import { preparedStatement, type Param } from '../../db/prepared.js';
import { riskSettings } from '../../db/schema/index.js';
import { isoDigits } from '../../shared/currencies.js';
import { isUuid } from '../../shared/ids.js';
import { parseAmountMinor, type Money } from '../../shared/money.js';

/** The per-game thresholds a developer may override (windows are fixed: 1 minute, 1 hour, 24 hours). */
export interface RiskThresholds {
  /** At most this many purchases per player per minute. */
  readonly purchasesPerMinute: number;
  /** At most this many purchases per player per hour. */
  readonly purchasesPerHour: number;
  /**
   * This many bank declines within an hour lock the player out (a bank decline weighs 2 points, a
   * mistyped CVC 1): 5 minutes the first time in 24 hours, 15, 45… on repetition…
   */
  readonly declinesToBlock: number;
  /** …never longer than this (the cap of the escalation). */
  readonly declineBlockSeconds: number;
  /** A card added as the player's Nth (or later) distinct card within 24 hours steps up on its first charge. */
  readonly cardsStepUpAt: number;
  /** A card that has not paid yet, used by this many players within 24 hours, is blocked. */
  readonly playersPerCardBlockAt: number;
  /**
   * A signal, never a wall (the name is kept for compatibility): from this many distinct cards from
   * one address within an hour, the first charge of a card that has not paid yet asks for the CVC.
   */
  readonly cardsPerIpBlockAt: number;
  /** From this many distinct cards from one device within an hour, a card that has not paid yet is refused. */
  readonly cardsPerDeviceBlockAt: number;
  /** A card younger than this is "new" for the large-first-charge rule. */
  readonly newCardAgeSeconds: number;
}

export type RiskThresholdName = keyof RiskThresholds;

/** The platform defaults (issue 7). */
export const PLATFORM_RISK_DEFAULTS: RiskThresholds = {
  purchasesPerMinute: 10,
  purchasesPerHour: 60,
  declinesToBlock: 3,
  declineBlockSeconds: 14_400,
  cardsStepUpAt: 3,
  playersPerCardBlockAt: 3,
  cardsPerIpBlockAt: 5,
  cardsPerDeviceBlockAt: 5,
  newCardAgeSeconds: 600,
};

/**
 * What a game may set, inclusive. A game may always tighten; it may loosen only up to the platform
 * maximum named here. For counts a lower value is tighter; for declineBlockSeconds and
 * newCardAgeSeconds a higher value is tighter (so their minimum is the loosest allowed).
 */
export const RISK_BOUNDS: Readonly<
  Record<RiskThresholdName, { readonly min: number; readonly max: number; readonly tighter: 'lower' | 'higher' }>
> = {
  purchasesPerMinute: { min: 1, max: 30, tighter: 'lower' },
  purchasesPerHour: { min: 1, max: 200, tighter: 'lower' },
  declinesToBlock: { min: 1, max: 5, tighter: 'lower' },
  declineBlockSeconds: { min: 1800, max: 86_400, tighter: 'higher' },
  cardsStepUpAt: { min: 1, max: 5, tighter: 'lower' },
  playersPerCardBlockAt: { min: 2, max: 5, tighter: 'lower' },
  cardsPerIpBlockAt: { min: 2, max: 10, tighter: 'lower' },
  cardsPerDeviceBlockAt: { min: 2, max: 10, tighter: 'lower' },
  newCardAgeSeconds: { min: 300, max: 86_400, tighter: 'higher' },
};

export const RISK_THRESHOLD_NAMES = Object.keys(PLATFORM_RISK_DEFAULTS) as RiskThresholdName[];

/** A game may raise a per-currency amount (daily cap, new-card step-up amount) to at most this many times the platform's. */
export const MONEY_LOOSEN_FACTOR = 4;

/** The player's 6th distinct card within 24 hours is refused (platform-wide: a card belongs to no game). */
export const CARDS_PER_PLAYER_REFUSE_AT = 6;

/**
 * An address is "card testing" while the cards declined from it within 15 minutes weigh this many
 * points (a bank decline 2, a mistyped CVC 1): 5 declined cards. Then a player without a paid card
 * cannot add a new card from it, and a card that has not paid yet asks for the CVC. Platform-wide.
 */
export const ADDRESS_DECLINE_POINTS_AT = 10;

/** Major units used for an ISO currency without a configured amount: the daily cap and the new-card amount. */
const FALLBACK_DAILY_CAP_MAJOR = 500;
const FALLBACK_NEW_CARD_MAJOR = 50;

/** A game's effective settings: its overrides over the platform defaults. */
export interface EffectiveRiskSettings {
  readonly gameId: string;
  readonly thresholds: RiskThresholds;
  /** The game's own daily caps and new-card amounts (minor units by currency); the rest are the platform's. */
  readonly dailyAmountCapOverrides: Readonly<Record<string, number>>;
  readonly newCardAmountOverrides: Readonly<Record<string, number>>;
  /** Which settings the game overrides. */
  readonly overridden: readonly string[];
  readonly updatedAt: Date | null;
  /** The daily cap per player in `currency` (minor units). */
  dailyAmountCap(currency: string): number;
  /** Above this amount a first charge on a new card steps up. */
  newCardStepUpAmount(currency: string): number;
}

const parsedMaps = new Map<string, ReadonlyMap<string, number>>();

/** Parses "USD:50000,EUR:50000" (ISO codes, positive integer minor units); throws on a malformed entry. */
export function parseCurrencyAmounts(raw: string, name = 'amounts'): ReadonlyMap<string, number> {
  const cached = parsedMaps.get(raw);
  if (cached) return cached;
  const map = new Map<string, number>();
  for (const part of raw
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [code, amount] = part.split(':').map((p) => p.trim());
    // The one parser of minor units (shared/money.ts), as for amounts sent to the API.
    const value = parseAmountMinor(amount ?? '');
    if (!code || isoDigits(code) === undefined || typeof value !== 'number') {
      const why = typeof value === 'number' ? 'is not an ISO 4217 code' : `amount ${value.message}`;
      throw new Error(
        `${name}: "${part}" is not CODE:minorUnits with an ISO 4217 code and a positive integer (${why})`,
      );
    }
    map.set(code, value);
  }
  parsedMaps.set(raw, map);
  return map;
}

/** The platform's daily cap in a currency: configured (RISK_DAILY_CAPS) or 500 major units; a virtual currency has none. */
export function platformDailyCap(config: Pick<Settings, 'RISK_DAILY_CAPS'>, currency: string): number {
  const configured = parseCurrencyAmounts(config.RISK_DAILY_CAPS, 'RISK_DAILY_CAPS').get(currency);
  if (configured !== undefined) return configured;
  const digits = isoDigits(currency);
  // virtual currencies are spent from the wallet, not charged to a card
  return digits === undefined ? Number.MAX_SAFE_INTEGER : FALLBACK_DAILY_CAP_MAJOR * 10 ** digits;
}

/** The platform's new-card step-up amount in a currency: configured (RISK_NEW_CARD_AMOUNTS) or 50 major units. */
export function platformNewCardAmount(config: Pick<Settings, 'RISK_NEW_CARD_AMOUNTS'>, currency: string): number {
  const configured = parseCurrencyAmounts(config.RISK_NEW_CARD_AMOUNTS, 'RISK_NEW_CARD_AMOUNTS').get(currency);
  if (configured !== undefined) return configured;
  const digits = isoDigits(currency);
  return digits === undefined ? Number.MAX_SAFE_INTEGER : FALLBACK_NEW_CARD_MAJOR * 10 ** digits;
}

/** The currencies that have a configured platform amount, for showing settings. */
export function configuredCurrencies(config: Pick<Settings, 'RISK_DAILY_CAPS' | 'RISK_NEW_CARD_AMOUNTS'>): string[] {
  const codes = new Set([
    ...parseCurrencyAmounts(config.RISK_DAILY_CAPS, 'RISK_DAILY_CAPS').keys(),
    ...parseCurrencyAmounts(config.RISK_NEW_CARD_AMOUNTS, 'RISK_NEW_CARD_AMOUNTS').keys(),
  ]);
  return [...codes].sort();
}

type SettingsRow = typeof riskSettings.$inferSelect;

/** Builds the effective settings from a game's row (or none). */
export function effectiveSettings(
  config: Pick<Settings, 'RISK_DAILY_CAPS' | 'RISK_NEW_CARD_AMOUNTS'>,
  gameId: string,
  row: SettingsRow | null,
): EffectiveRiskSettings {
  const thresholds = { ...PLATFORM_RISK_DEFAULTS } as Record<RiskThresholdName, number>;
  const overridden: string[] = [];
  for (const name of RISK_THRESHOLD_NAMES) {
    const value = row?.[name];
    if (typeof value === 'number') {
      thresholds[name] = value;
      overridden.push(name);
    }
  }
  const caps = row?.dailyAmountCaps ?? {};
  const newCard = row?.newCardStepUpAmounts ?? {};
  if (Object.keys(caps).length > 0) overridden.push('dailyAmountCaps');
  if (Object.keys(newCard).length > 0) overridden.push('newCardStepUpAmounts');
  return {
    gameId,
    thresholds,
    dailyAmountCapOverrides: caps,
    newCardAmountOverrides: newCard,
    overridden,
    updatedAt: row?.updatedAt ?? null,
    dailyAmountCap: (currency) => caps[currency] ?? platformDailyCap(config, currency),
    newCardStepUpAmount: (currency) => newCard[currency] ?? platformNewCardAmount(config, currency),
  };
}

const settingsQuery = (executor: Executor, gameId: Param<string>) =>
  executor.select().from(riskSettings).where(eq(riskSettings.gameId, gameId)).limit(1);
// Read before every charge: prepared.
const settingsOfGame = preparedStatement((db) =>
  settingsQuery(db, sql.placeholder('gameId')).prepare('fraud_risk_settings_of_game'),
);

/** A game's effective settings, read in one query (defaults when the game has no row). */
export async function loadEffectiveSettings(
  executor: Executor,
  config: Pick<Settings, 'RISK_DAILY_CAPS' | 'RISK_NEW_CARD_AMOUNTS'>,
  gameId: string | null,
): Promise<EffectiveRiskSettings> {
  if (!gameId || !isUuid(gameId)) return effectiveSettings(config, gameId ?? '', null);
  const [row] = await settingsOfGame(executor).execute({ gameId });
  return effectiveSettings(config, gameId, row ?? null);
}

/** Every currency the settings speak of (configured or overridden), as Money, for display. */
export function amountsByCurrency(
  config: Pick<Settings, 'RISK_DAILY_CAPS' | 'RISK_NEW_CARD_AMOUNTS'>,
  settings: EffectiveRiskSettings,
  of: 'dailyAmountCap' | 'newCardStepUpAmount',
): Money[] {
  const overrides = of === 'dailyAmountCap' ? settings.dailyAmountCapOverrides : settings.newCardAmountOverrides;
  const codes = [...new Set([...configuredCurrencies(config), ...Object.keys(overrides)])].sort();
  return codes.map((currency) => ({ currency, amountMinor: settings[of](currency) }));
}
