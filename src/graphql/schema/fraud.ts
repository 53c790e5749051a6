import { resolveCursorConnection, type ResolveCursorConnectionArgs } from '@pothos/plugin-relay';
import { builder } from '../builder.js';
import { COMMON_ERRORS, orNotFound } from '../errors.js';
import { MoneyInputRef, MoneyRef } from '../scalars.js';
import { NotFoundError } from '../../shared/errors.js';
import { parseInput } from '../../shared/validation.js';
import {
  amountsByCurrency,
  blockCardFingerprint,
  blockPlayer,
  blockPlayerInput,
  cardFingerprintBlockInput,
  cardFingerprintUnblockInput,
  CARDS_PER_PLAYER_REFUSE_AT,
  getRiskEventsByIds,
  getRiskSettings,
  listRiskEvents,
  MONEY_LOOSEN_FACTOR,
  PLATFORM_RISK_DEFAULTS,
  RISK_BOUNDS,
  RISK_THRESHOLD_NAMES,
  unblockCardFingerprint,
  unblockPlayer,
  updateRiskSettings,
  updateRiskSettingsInput,
  type CardFingerprintBlockRow,
  type EffectiveRiskSettings,
  type PlayerBlockRow,
  type RiskDecision,
  type RiskEventRow,
  type RiskThresholdName,
} from '../../modules/fraud/index.js';
import { PlayerRef } from './accounts.js';
import { GameRef } from './games.js';
import { decodeId, encodeCursor, keysetPage } from '../relay.js';
import { publicIdOrNull } from '../../shared/public-ids.js';

export const RiskDecisionEnum = builder.enumType('RiskDecision', {
  description: 'ALLOW charges; STEP_UP asks the player for the CVC first; BLOCK charges nothing.',
  values: {
    ALLOW: { description: 'The charge goes ahead.' },
    STEP_UP: { description: 'The player must enter the CVC before the charge (the purchase is REQUIRES_ACTION).' },
    BLOCK: { description: 'Refused: nothing is charged (RiskBlocked).' },
  } as const,
});

const RiskEventKindEnum = builder.enumType('RiskEventKind', {
  description: 'What the fraud check was deciding on.',
  values: {
    PURCHASE: { value: 'purchase', description: 'Whether to charge a purchase.' },
    CARD_ADD: { value: 'card_add', description: 'Whether to let a player add a card.' },
  } as const,
});

/** A rule as stored on a purchase or a risk event. */
export interface RiskRuleHitShape {
  readonly rule: string;
  /** Null unless the caller is the game's developer, its secret key or an operator. */
  readonly value: number | null;
  readonly threshold: number | null;
}

/** What the Purchase.risk field resolves to (the purchases module stores decision, score and rules). */
export interface RiskAssessmentShape {
  readonly decision: RiskDecision;
  readonly score: number;
  readonly rulesFired: readonly RiskRuleHitShape[];
  readonly retryAfterSeconds?: number | null;
}

export const RiskRuleHitRef = builder.objectRef<RiskRuleHitShape>('RiskRuleHit').implement({
  description: 'A fraud rule that fired, with the value it saw (this attempt included) and its threshold.',
  fields: (t) => ({
    rule: t.exposeString('rule', {
      description:
        'player_blocked, card_blocked, purchases_per_minute, purchases_per_hour, daily_amount, declines_per_hour, ' +
        'cards_per_player, players_per_card, cards_per_ip, cards_per_device, new_card_large_first_charge, ' +
        'acquirer_elevated_risk or acquirer_highest_risk.',
    }),
    // Float: amounts in minor units can exceed GraphQL's 32-bit Int; they stay exact integers.
    value: t.exposeFloat('value', {
      nullable: true,
      description: "What the rule saw; null unless the caller is the game's developer, its secret key or an operator.",
    }),
    threshold: t.exposeFloat('threshold', {
      nullable: true,
      description:
        "The rule's threshold; null unless the caller is the game's developer, its secret key or an operator.",
    }),
  }),
});

export const RiskAssessmentRef = builder.objectRef<RiskAssessmentShape>('RiskAssessment').implement({
  description: 'The fraud decision on a purchase.',
  fields: (t) => ({
    decision: t.field({ type: RiskDecisionEnum, description: 'What the checks decided.', resolve: (r) => r.decision }),
    score: t.exposeInt('score', { description: '0–100: ALLOW 0–39, STEP_UP 50–79, BLOCK 80–100.' }),
    rulesFired: t.field({
      type: [RiskRuleHitRef],
      description: 'The rules that fired; empty when none did.',
      resolve: (r) => [...r.rulesFired],
    }),
  }),
});

export const RiskEventRef = builder.loadableNodeRef('RiskEvent', {
  id: { resolve: (e: RiskEventRow) => e.id },
  load: (ids: string[], ctx) => getRiskEventsByIds(ctx.service, ids).then(orNotFound('RiskEvent')),
  sort: (e) => e.id,
});
RiskEventRef.implement({
  description: 'A fraud decision on a purchase or a card add (operators).',
  fields: (t) => ({
    kind: t.field({ type: RiskEventKindEnum, description: 'What was being decided on.', resolve: (e) => e.kind }),
    decision: t.field({ type: RiskDecisionEnum, description: 'What the checks decided.', resolve: (e) => e.decision }),
    score: t.exposeInt('score', { description: '0–100: ALLOW 0–39, STEP_UP 50–79, BLOCK 80–100.' }),
    rulesFired: t.field({
      type: [RiskRuleHitRef],
      description: 'The rules that fired, with values and thresholds.',
      resolve: (e) => e.rulesFired,
    }),
    game: t.field({ type: GameRef, nullable: true, description: 'Null for a card add.', resolve: (e) => e.gameId }),
    player: t.field({
      type: PlayerRef,
      nullable: true,
      description: 'The player it was about, if known.',
      resolve: (e) => e.playerId,
    }),
    purchaseId: t.id({
      nullable: true,
      description: 'The purchase it was about (pur_…); null for a card add.',
      resolve: (e) => publicIdOrNull('Purchase', e.purchaseId),
    }),
    cardFingerprint: t.exposeString('cardFingerprint', {
      nullable: true,
      description: 'The keyed fingerprint of the card involved (never its number); pass it to blockCardFingerprint.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the decision was taken.' }),
  }),
});

builder.queryField('riskEvents', (t) =>
  t.connection(
    {
      type: RiskEventRef,
      description: 'Fraud decisions, newest first (operator token only).',
      authScopes: { operator: true },
      args: {
        gameId: t.arg.id({ description: 'Only decisions about this game (gam_…).' }),
        playerId: t.arg.id({ description: 'Only decisions about this player (ply_…).' }),
        purchaseId: t.arg.id({ description: 'Only decisions about this purchase (pur_…).' }),
        decision: t.arg({
          type: RiskDecisionEnum,
          description: 'Only decisions with this outcome (ALLOW, STEP_UP or BLOCK).',
        }),
        kind: t.arg({
          type: RiskEventKindEnum,
          description: 'Only decisions taken on a purchase, or only those on adding a card.',
        }),
        from: t.arg({ type: 'DateTime', description: 'Inclusive.' }),
        to: t.arg({ type: 'DateTime', description: 'Exclusive.' }),
      },
      resolve: (_root, args, ctx) => {
        const filter = {
          gameId: args.gameId ? decodeId('Game', args.gameId, 'gameId') : null,
          playerId: args.playerId ? decodeId('Player', args.playerId, 'playerId') : null,
          purchaseId: args.purchaseId ? decodeId('Purchase', args.purchaseId, 'purchaseId') : null,
          decision: args.decision ?? null,
          kind: args.kind ?? null,
          from: args.from ?? null,
          to: args.to ?? null,
        };
        return resolveCursorConnection(
          { args, toCursor: (e: RiskEventRow) => encodeCursor(e), maxSize: 100 },
          (page: ResolveCursorConnectionArgs) => listRiskEvents(ctx.service, filter, keysetPage(page)),
        );
      },
    },
    RiskEventConnection,
  ),
);

// ---- per-game settings

interface BoundShape {
  readonly setting: RiskThresholdName;
}
const RiskSettingBoundRef = builder.objectRef<BoundShape>('RiskSettingBound').implement({
  description:
    'What a game may set for one threshold: anything from min to max (a game may tighten, and loosen only this far).',
  fields: (t) => ({
    setting: t.exposeString('setting', { description: 'The threshold, by its RiskSettings field name.' }),
    min: t.int({ description: 'The lowest value a game may set.', resolve: (b) => RISK_BOUNDS[b.setting].min }),
    max: t.int({ description: 'The highest value a game may set.', resolve: (b) => RISK_BOUNDS[b.setting].max }),
    platformDefault: t.int({
      description: 'The value a game gets when it sets none.',
      resolve: (b) => PLATFORM_RISK_DEFAULTS[b.setting],
    }),
    tighter: t.string({
      description: 'LOWER or HIGHER: which way is stricter.',
      resolve: (b) => RISK_BOUNDS[b.setting].tighter.toUpperCase(),
    }),
  }),
});

const thresholdDescriptions: Record<RiskThresholdName, string> = {
  purchasesPerMinute: 'At most this many purchases per player in any minute.',
  purchasesPerHour: 'At most this many purchases per player in any hour.',
  declinesToBlock:
    'This many bank declines of a player within an hour (a mistyped CVC counts half) lock them out for a while.',
  declineBlockSeconds:
    'The longest decline lock-out in seconds (they escalate: 5 minutes, then 15, 45… within 24 hours).',
  cardsStepUpAt:
    "A card added as the player's Nth distinct card within 24 hours (or later) asks for the CVC on its first charge.",
  playersPerCardBlockAt: 'A card that has not paid yet, used by this many players within 24 hours, is blocked.',
  cardsPerIpBlockAt:
    'A signal, never a block: from this many distinct cards from one IP within an hour, the first charge of a card that has not paid yet asks for the CVC.',
  cardsPerDeviceBlockAt:
    'From this many distinct cards from one device within an hour, a card that has not paid yet is refused.',
  newCardAgeSeconds:
    'A card younger than this is new: a first charge on it above newCardStepUpAmounts asks for the CVC.',
};

export const RiskSettingsRef = builder.objectRef<EffectiveRiskSettings>('RiskSettings').implement({
  description: "A game's effective fraud thresholds: its overrides over the platform defaults.",
  fields: (t) => ({
    game: t.field({ type: GameRef, description: 'The game these thresholds apply to.', resolve: (s) => s.gameId }),
    ...(Object.fromEntries(
      RISK_THRESHOLD_NAMES.map((name) => [
        name,
        t.int({ description: thresholdDescriptions[name], resolve: (s) => s.thresholds[name] }),
      ]),
    ) as Record<RiskThresholdName, ReturnType<typeof t.int>>),
    dailyAmountCaps: t.field({
      type: [MoneyRef],
      description: 'At most this much per player per currency in any 24 hours.',
      resolve: (s, _args, ctx) => amountsByCurrency(ctx.service.deps.config, s, 'dailyAmountCap'),
    }),
    newCardStepUpAmounts: t.field({
      type: [MoneyRef],
      description: 'A first charge on a new card above this asks for the CVC.',
      resolve: (s, _args, ctx) => amountsByCurrency(ctx.service.deps.config, s, 'newCardStepUpAmount'),
    }),
    cardsPerPlayerRefuseAt: t.int({
      description: "The player's Nth distinct card within 24 hours is refused (platform-wide).",
      resolve: () => CARDS_PER_PLAYER_REFUSE_AT,
    }),
    overridden: t.stringList({ description: 'The settings this game overrides.', resolve: (s) => [...s.overridden] }),
    bounds: t.field({
      type: [RiskSettingBoundRef],
      description: 'For each threshold, the range a game may set it within.',
      resolve: () => RISK_THRESHOLD_NAMES.map((setting) => ({ setting })),
    }),
    moneyLoosenFactor: t.int({
      description: 'A per-currency amount may be raised to at most this many times the platform amount.',
      resolve: () => MONEY_LOOSEN_FACTOR,
    }),
    updatedAt: t.expose('updatedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the game last changed its overrides; null when it never did.',
    }),
  }),
});

builder.queryField('riskSettings', (t) =>
  t.field({
    type: RiskSettingsRef,
    description: "A game's fraud thresholds (its developer, its secret key, operators).",
    args: { gameId: t.arg.id({ required: true, description: 'The game whose thresholds to read (gam_…).' }) },
    authScopes: { authenticated: true },
    resolve: (_root, { gameId }, ctx) => getRiskSettings(ctx.service, decodeId('Game', gameId, 'gameId')),
  }),
);

builder.objectField(GameRef, 'riskSettings', (t) =>
  t.field({
    type: RiskSettingsRef,
    nullable: true,
    description: 'The fraud thresholds; null unless the caller manages the game.',
    resolve: (game, _args, ctx) =>
      getRiskSettings(ctx.service, game.id).catch((error: unknown) => {
        if (error instanceof NotFoundError) return null;
        throw error;
      }),
  }),
);

const UpdateRiskSettingsInput = builder.inputType('UpdateRiskSettingsInput', {
  description:
    'Absent fields stay as they are; null goes back to the platform default. Values outside the bounds are refused.',
  fields: (t) => ({
    gameId: t.id({ required: true, description: 'The game (gam_…).' }),
    ...(Object.fromEntries(
      RISK_THRESHOLD_NAMES.map((name) => [name, t.int({ description: thresholdDescriptions[name] })]),
    ) as Record<RiskThresholdName, ReturnType<typeof t.int>>),
    dailyAmountCaps: t.field({
      type: [MoneyInputRef],
      description: "Replaces the game's daily caps; [] or null: the platform's.",
    }),
    newCardStepUpAmounts: t.field({
      type: [MoneyInputRef],
      description: "Replaces the game's new-card amounts; [] or null: the platform's.",
    }),
  }),
});

const UpdateRiskSettingsPayload = builder
  .objectRef<{ settings: EffectiveRiskSettings }>('UpdateRiskSettingsPayload')
  .implement({
    description: "The game's fraud thresholds after the change.",
    fields: (t) => ({
      settings: t.field({
        type: RiskSettingsRef,
        description: 'The effective thresholds now.',
        resolve: (p) => p.settings,
      }),
    }),
  });

builder.mutationField('updateRiskSettings', (t) =>
  t.field({
    type: UpdateRiskSettingsPayload,
    description:
      "Sets a game's fraud thresholds (its developer): tighten freely, loosen only within the platform bounds.",
    args: {
      input: t.arg({
        type: UpdateRiskSettingsInput,
        required: true,
        description: 'The game (gam_…) and the fraud limits to change.',
      }),
    },
    errors: { types: [...COMMON_ERRORS], directResult: true },
    resolve: async (_root, { input }, ctx) => ({
      settings: await updateRiskSettings(
        ctx.service,
        parseInput(updateRiskSettingsInput, { ...input, gameId: decodeId('Game', input.gameId, 'input.gameId') }),
      ),
    }),
  }),
);

// ---- operator blocks

const PlayerBlockRef = builder.objectRef<PlayerBlockRow>('PlayerBlock').implement({
  description: 'An operator block on a player: every purchase and card add of theirs is refused until lifted.',
  fields: (t) => ({
    player: t.field({
      type: PlayerRef,
      nullable: true,
      description: 'The blocked player.',
      resolve: (b) => b.playerId,
    }),
    reason: t.exposeString('reason', { description: 'Why the operator blocked them.' }),
    blockedAt: t.expose('createdAt', { type: 'DateTime', description: 'When the block began.' }),
  }),
});
const CardFingerprintBlockRef = builder.objectRef<CardFingerprintBlockRow>('CardFingerprintBlock').implement({
  description: 'An operator block on a card (by fingerprint, for every player who adds it) until lifted.',
  fields: (t) => ({
    fingerprint: t.exposeString('fingerprint', { description: "The card's keyed fingerprint; never the card number." }),
    reason: t.exposeString('reason', { description: 'Why the operator blocked it.' }),
    blockedAt: t.expose('createdAt', { type: 'DateTime', description: 'When the block began.' }),
  }),
});

const BlockPlayerInput = builder.inputType('BlockPlayerInput', {
  description: 'A player to block (operators only).',
  fields: (t) => ({
    playerId: t.id({ required: true, description: 'The player (ply_…).' }),
    reason: t.string({ required: true, description: 'Why, kept with the block.' }),
  }),
});
const UnblockPlayerInput = builder.inputType('UnblockPlayerInput', {
  description: 'A player whose block to lift (operators only).',
  fields: (t) => ({ playerId: t.id({ required: true, description: 'The player (ply_…).' }) }),
});
const BlockCardFingerprintInput = builder.inputType('BlockCardFingerprintInput', {
  description: 'A card to block by fingerprint (operators only).',
  fields: (t) => ({
    fingerprint: t.string({
      required: true,
      description: "The card's keyed fingerprint, as RiskEvent.cardFingerprint shows it.",
    }),
    reason: t.string({ required: true, description: 'Why, kept with the block.' }),
  }),
});
const UnblockCardFingerprintInput = builder.inputType('UnblockCardFingerprintInput', {
  description: 'A card fingerprint whose block to lift (operators only).',
  fields: (t) => ({
    fingerprint: t.string({ required: true, description: 'The fingerprint, as the block shows it.' }),
  }),
});

const BlockPlayerPayload = builder.objectRef<{ block: PlayerBlockRow }>('BlockPlayerPayload').implement({
  description: 'The block now in force.',
  fields: (t) => ({ block: t.field({ type: PlayerBlockRef, description: 'The block.', resolve: (p) => p.block }) }),
});
const BlockCardFingerprintPayload = builder
  .objectRef<{ block: CardFingerprintBlockRow }>('BlockCardFingerprintPayload')
  .implement({
    description: 'The block now in force.',
    fields: (t) => ({
      block: t.field({ type: CardFingerprintBlockRef, description: 'The block.', resolve: (p) => p.block }),
    }),
  });
const UnblockPayload = builder.objectRef<{ lifted: boolean }>('UnblockPayload').implement({
  description: 'Whether a block was lifted.',
  fields: (t) => ({ lifted: t.exposeBoolean('lifted', { description: 'False when nothing was blocked.' }) }),
});

builder.mutationField('blockPlayer', (t) =>
  t.field({
    type: BlockPlayerPayload,
    description: 'Stops a player from buying and adding cards until unblocked (operator token only).',
    authScopes: { operator: true },
    args: {
      input: t.arg({ type: BlockPlayerInput, required: true, description: 'The player to block (ply_…) and why.' }),
    },
    errors: { types: [...COMMON_ERRORS], directResult: true },
    resolve: async (_root, { input }, ctx) => ({
      block: await blockPlayer(
        ctx.service,
        parseInput(blockPlayerInput, {
          playerId: decodeId('Player', input.playerId, 'input.playerId'),
          reason: input.reason,
        }),
      ),
    }),
  }),
);
builder.mutationField('unblockPlayer', (t) =>
  t.field({
    type: UnblockPayload,
    description: "Lifts an operator's block of a player (operator token only).",
    authScopes: { operator: true },
    args: { input: t.arg({ type: UnblockPlayerInput, required: true, description: 'The player to unblock (ply_…).' }) },
    errors: { types: [...COMMON_ERRORS], directResult: true },
    resolve: async (_root, { input }, ctx) => ({
      lifted: await unblockPlayer(ctx.service, { playerId: decodeId('Player', input.playerId, 'input.playerId') }),
    }),
  }),
);
builder.mutationField('blockCardFingerprint', (t) =>
  t.field({
    type: BlockCardFingerprintPayload,
    description: 'Stops a card, for every player, from being added or charged (operator token only).',
    authScopes: { operator: true },
    args: {
      input: t.arg({
        type: BlockCardFingerprintInput,
        required: true,
        description: 'The card fingerprint to block and why.',
      }),
    },
    errors: { types: [...COMMON_ERRORS], directResult: true },
    resolve: async (_root, { input }, ctx) => ({
      block: await blockCardFingerprint(ctx.service, parseInput(cardFingerprintBlockInput, input)),
    }),
  }),
);
builder.mutationField('unblockCardFingerprint', (t) =>
  t.field({
    type: UnblockPayload,
    description: "Lifts an operator's block of a card fingerprint (operator token only).",
    authScopes: { operator: true },
    args: {
      input: t.arg({
        type: UnblockCardFingerprintInput,
        required: true,
        description: 'The card fingerprint to unblock.',
      }),
    },
    errors: { types: [...COMMON_ERRORS], directResult: true },
    resolve: async (_root, { input }, ctx) => ({
      lifted: await unblockCardFingerprint(ctx.service, parseInput(cardFingerprintUnblockInput, input)),
    }),
  }),
);

/** The shared Relay connection of risk events (one type wherever a list of them is paged). */
export const RiskEventConnection = builder.connectionObject({
  type: RiskEventRef,
  name: 'RiskEventConnection',
  description: 'A page of risk events, with the cursors to fetch the pages around it.',
});
