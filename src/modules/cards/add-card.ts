import { and, count, eq, isNull } from 'drizzle-orm';
import { cards } from '../../db/schema/index.js';
import { AcquirerUnavailableError } from '../../shared/acquirer-port.js';
import { CardDeclinedError, LimitReachedError, ServiceUnavailableError } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import { assessCardAdd, recordDecline } from '../fraud/index.js';
import type { ServiceContext } from '../service-context.js';
import { validateCard, type AddCardFields } from './card-input.js';
import {
  lockPlayerCards,
  makeDefaultCard,
  publicCard,
  requirePlayerSession,
  type Card,
  type CardRow,
} from './card-rows.js';
import { storedFingerprint } from './fingerprint.js';

export interface AddCardInput extends AddCardFields {
  /** Make this card the default even when the player has others. */
  readonly makeDefault?: boolean | null;
  /** A stable id of the device, for the card-testing rules. */
  readonly deviceId?: string | null;
}

/** A player keeps at most this many cards on file. */
export const MAX_CARDS_PER_PLAYER = 20;

/**
 * Adds a card for the signed-in player: checks it locally (nothing leaves on bad input), verifies
 * and tokenizes it at the acquirer, and stores only the token, brand, last4, expiry, holder and a
 * keyed fingerprint. The same card again returns the card already on file; the first card is the default.
 */
export async function addCard(ctx: ServiceContext, input: AddCardInput): Promise<Card> {
  const playerId = requirePlayerSession(ctx);
  const { deps } = ctx;
  const card = validateCard(input, deps.clock.now());
  const fingerprint = storedFingerprint(
    deps.config.secrets.cardFingerprintKey,
    card.digits,
    playerId,
    deps.config.sandbox,
  );

  const existing = await findByFingerprint(ctx, playerId, fingerprint);
  if (existing)
    return publicCard(
      input.makeDefault && !existing.isDefault ? await setDefault(ctx, playerId, existing.id) : existing,
    );
  await assertRoomForCard(ctx, playerId);
  // Card-testing rules (cards per player, IP and device; declines; blocked cards) before the acquirer sees it.
  await assessCardAdd(ctx, { playerId, fingerprint, ip: ctx.ip, deviceId: input.deviceId ?? null });

  let verdict;
  try {
    verdict = await deps.acquirer.tokenizeCard({
      number: card.digits,
      expMonth: card.expMonth,
      expYear: card.expYear,
      cvc: card.cvc,
      holderName: card.holderName,
    });
  } catch (error) {
    if (error instanceof AcquirerUnavailableError) {
      deps.logger.warn({ code: error.code, status: error.httpStatus, playerId }, 'card verification unavailable');
      throw new ServiceUnavailableError('The card could not be verified right now; nothing was stored. Try again.');
    }
    throw error;
  }
  if (!verdict.ok) {
    await recordDecline(ctx, { playerId, declineCode: verdict.declineCode, ip: ctx.ip, cardFingerprint: fingerprint });
    throw new CardDeclinedError(verdict.declineCode);
  }

  const stored = await deps.db.transaction(async (tx) => {
    await lockPlayerCards(tx, playerId);
    // Added meanwhile by a concurrent request: keep the first one (the new token is simply unused).
    const [again] = await tx
      .select()
      .from(cards)
      .where(and(eq(cards.playerId, playerId), eq(cards.fingerprint, fingerprint), isNull(cards.removedAt)))
      .limit(1);
    if (again) return again;
    const [{ active } = { active: 0 }] = await tx
      .select({ active: count() })
      .from(cards)
      .where(and(eq(cards.playerId, playerId), isNull(cards.removedAt)));
    const [row] = await tx
      .insert(cards)
      .values({
        id: newId(),
        playerId,
        acquirerToken: verdict.token,
        brand: verdict.brand || card.brand,
        last4: card.last4,
        expMonth: card.expMonth,
        expYear: card.expYear,
        holderName: card.holderName,
        fingerprint,
        isDefault: false,
        createdAt: deps.clock.now(),
      })
      .returning();
    return active === 0 || input.makeDefault ? makeDefaultCard(tx, playerId, row!.id) : (row as CardRow);
  });
  return publicCard(stored);
}

async function findByFingerprint(ctx: ServiceContext, playerId: string, fingerprint: string): Promise<CardRow | null> {
  const [row] = await ctx.deps.db
    .select()
    .from(cards)
    .where(and(eq(cards.playerId, playerId), eq(cards.fingerprint, fingerprint), isNull(cards.removedAt)))
    .limit(1);
  return row ?? null;
}

async function setDefault(ctx: ServiceContext, playerId: string, cardId: string): Promise<CardRow> {
  return ctx.deps.db.transaction(async (tx) => {
    await lockPlayerCards(tx, playerId);
    return makeDefaultCard(tx, playerId, cardId);
  });
}

async function assertRoomForCard(ctx: ServiceContext, playerId: string): Promise<void> {
  const [{ active } = { active: 0 }] = await ctx.deps.db
    .select({ active: count() })
    .from(cards)
    .where(and(eq(cards.playerId, playerId), isNull(cards.removedAt)));
  if (active >= MAX_CARDS_PER_PLAYER) {
    throw new LimitReachedError(`A player keeps at most ${MAX_CARDS_PER_PLAYER} cards; remove one first.`);
  }
}
