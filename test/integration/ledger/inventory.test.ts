import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../../src/db/client.js';
import { gameAuthorizations } from '../../../src/db/schema/index.js';
import {
  ForbiddenError,
  IdempotencyKeyReusedError,
  InsufficientQuantityError,
  NotFoundError,
  ValidationError,
} from '../../../src/shared/errors.js';
import { newId } from '../../../src/shared/ids.js';
import type { Principal } from '../../../src/shared/principal.js';
import {
  consumeItem,
  getInventory,
  grantItem,
  ownedQuantity,
  purchasedQuantity,
  revokeItem,
} from '../../../src/modules/inventory/index.js';
import { makeGame, makeItem, makePlayer, openTestDatabase, serviceContext } from './fixtures.js';

let handle: DatabaseHandle;
let db: DatabaseHandle['db'];
beforeAll(async () => {
  handle = await openTestDatabase(20);
  db = handle.db;
});
afterAll(() => handle.close());

/** A game with a consumable and a durable, a player holding `units` of the consumable, and the game's secret-key context. */
async function holding(units: number) {
  const { gameId, developerId } = await makeGame(db);
  const playerId = await makePlayer(db);
  const potion = await makeItem(db, gameId, 'CONSUMABLE');
  const sword = await makeItem(db, gameId, 'DURABLE');
  if (units > 0)
    await grantItem(db, { gameId, playerId, itemId: potion, kind: 'CONSUMABLE', quantity: units, purchaseId: newId() });
  const secret: Principal = { kind: 'game_secret', gameId, developerId, keyId: newId() };
  return { gameId, developerId, playerId, potion, sword, secret: serviceContext(db, secret) };
}

const consume = (quantity: number, idempotencyKey = newId()) => ({ quantity, idempotencyKey });

describe('grantItem', () => {
  it('adds up consumables, keeps a DURABLE at one, and grants a purchase once', async () => {
    const { gameId, playerId, potion, sword } = await holding(0);
    const purchaseId = newId();
    await grantItem(db, { gameId, playerId, itemId: potion, kind: 'CONSUMABLE', quantity: 3, purchaseId });
    const again = await grantItem(db, {
      gameId,
      playerId,
      itemId: potion,
      kind: 'CONSUMABLE',
      quantity: 3,
      purchaseId,
    });
    expect(again).toMatchObject({ duplicate: true, entry: { quantity: 3 } });
    await grantItem(db, { gameId, playerId, itemId: potion, kind: 'CONSUMABLE', quantity: 2, purchaseId: newId() });
    expect(await ownedQuantity(db, gameId, playerId, potion)).toBe(5);

    await grantItem(db, { gameId, playerId, itemId: sword, kind: 'DURABLE', quantity: 1, purchaseId: newId() });
    const second = await grantItem(db, {
      gameId,
      playerId,
      itemId: sword,
      kind: 'DURABLE',
      quantity: 2,
      purchaseId: newId(),
    });
    expect(second.entry.quantity).toBe(1);
    expect(await purchasedQuantity(db, gameId, playerId, potion)).toBe(5);
  });

  it('refuses to put a currency pack in the inventory', async () => {
    const { gameId, playerId } = await holding(0);
    const pack = await makeItem(db, gameId, 'CURRENCY_PACK');
    await expect(
      grantItem(db, { gameId, playerId, itemId: pack, kind: 'CURRENCY_PACK', quantity: 1, purchaseId: newId() }),
    ).rejects.toThrow(/wallet/);
  });
});

describe('consumeItem', () => {
  it('uses up units and never goes below zero', async () => {
    const { gameId, playerId, potion, secret } = await holding(3);
    expect(await consumeItem(secret, { playerId, itemId: potion, ...consume(2) })).toMatchObject({ quantity: 1 });
    const tooMany = consumeItem(secret, { playerId, itemId: potion, ...consume(2) });
    await expect(tooMany).rejects.toBeInstanceOf(InsufficientQuantityError);
    await expect(tooMany).rejects.toMatchObject({ available: 1 });
    expect(await ownedQuantity(db, gameId, playerId, potion)).toBe(1);
  });

  it('lets exactly as many concurrent consumptions succeed as there are units', async () => {
    const { gameId, playerId, potion, secret } = await holding(10);
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, () => consumeItem(secret, { playerId, itemId: potion, ...consume(1) })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
    const errors = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason);
    expect(errors.every((e) => e instanceof InsufficientQuantityError && e.available === 0)).toBe(true);
    expect(await ownedQuantity(db, gameId, playerId, potion)).toBe(0);
  });

  it('consumes once per idempotency key, and refuses the key for another consumption', async () => {
    const { gameId, playerId, potion, secret } = await holding(5);
    const key = newId();
    await consumeItem(secret, { playerId, itemId: potion, ...consume(2, key) });
    expect(await consumeItem(secret, { playerId, itemId: potion, ...consume(2, key) })).toMatchObject({ quantity: 3 });
    expect(await ownedQuantity(db, gameId, playerId, potion)).toBe(3);
    await expect(consumeItem(secret, { playerId, itemId: potion, ...consume(1, key) })).rejects.toBeInstanceOf(
      IdempotencyKeyReusedError,
    );
  });

  it("answers NotFound for another game's secret key and for a stranger, and refuses to consume a DURABLE", async () => {
    const { playerId, potion } = await holding(2);
    const other = await holding(0);
    await expect(consumeItem(other.secret, { playerId, itemId: potion, ...consume(1) })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      what: 'Item',
    });
    const mine = await holding(1);
    await expect(
      consumeItem(mine.secret, { playerId: await makePlayer(db), itemId: mine.potion, ...consume(1) }),
    ).rejects.toMatchObject({ what: 'Player' });
    await expect(
      consumeItem(mine.secret, { playerId: newId(), itemId: newId(), ...consume(1) }),
    ).rejects.toBeInstanceOf(NotFoundError);
    const owner = await holding(0);
    await grantItem(db, {
      gameId: owner.gameId,
      playerId: owner.playerId,
      itemId: owner.sword,
      kind: 'DURABLE',
      quantity: 1,
      purchaseId: newId(),
    });
    await expect(
      consumeItem(owner.secret, { playerId: owner.playerId, itemId: owner.sword, ...consume(1) }),
    ).rejects.toBeInstanceOf(ValidationError);
  });

  it('tells a known player without units of the item that none are left', async () => {
    const { gameId, playerId, secret } = await holding(0);
    await db.insert(gameAuthorizations).values({
      id: newId(),
      playerId,
      gameId,
      oneTapMaxMinor: 0,
      dailyCapMinor: 0,
      currency: 'USD',
      tokenHash: newId(),
    });
    const potion = await makeItem(db, gameId, 'CONSUMABLE');
    await expect(consumeItem(secret, { playerId, itemId: potion, ...consume(1) })).rejects.toMatchObject({
      code: 'INSUFFICIENT_QUANTITY',
      available: 0,
    });
  });

  it("is for the game's secret key and the player's own game token, not a developer or a player session", async () => {
    const { gameId, developerId, playerId, potion } = await holding(2);
    const asDeveloper = serviceContext(db, { kind: 'developer', developerId, sessionId: newId() });
    await expect(consumeItem(asDeveloper, { playerId, itemId: potion, ...consume(1) })).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    const asSession = serviceContext(db, { kind: 'player', playerId, sessionId: newId() });
    await expect(consumeItem(asSession, { playerId, itemId: potion, ...consume(1) })).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    expect(await ownedQuantity(db, gameId, playerId, potion)).toBe(2);

    // The player's game token uses up its own units, with or without naming the player, once per key.
    const asPlayer = serviceContext(db, { kind: 'player_game', playerId, gameId, authorizationId: newId() });
    const key = newId();
    expect(await consumeItem(asPlayer, { itemId: potion, ...consume(1, key) })).toMatchObject({ quantity: 1 });
    expect(await consumeItem(asPlayer, { itemId: potion, ...consume(1, key) })).toMatchObject({ quantity: 1 });
    expect(await consumeItem(asPlayer, { playerId, itemId: potion, ...consume(1) })).toMatchObject({ quantity: 0 });
    await expect(consumeItem(asPlayer, { itemId: potion, ...consume(1) })).rejects.toBeInstanceOf(
      InsufficientQuantityError,
    );
  });

  it("never lets a game token use up another player's units or another game's items", async () => {
    const mine = await holding(1);
    const other = await holding(1);
    const token = serviceContext(db, {
      kind: 'player_game',
      playerId: mine.playerId,
      gameId: mine.gameId,
      authorizationId: newId(),
    });
    await expect(
      consumeItem(token, { playerId: other.playerId, itemId: mine.potion, ...consume(1) }),
    ).rejects.toBeInstanceOf(NotFoundError);
    await expect(consumeItem(token, { itemId: other.potion, ...consume(1) })).rejects.toBeInstanceOf(NotFoundError);
    expect(await ownedQuantity(db, other.gameId, other.playerId, other.potion)).toBe(1);
    expect(await ownedQuantity(db, mine.gameId, mine.playerId, mine.potion)).toBe(1);
    // The secret key still has to name the player.
    await expect(consumeItem(mine.secret, { itemId: mine.potion, ...consume(1) })).rejects.toBeInstanceOf(
      ValidationError,
    );
  });
});

describe('revokeItem', () => {
  it('takes back only the unconsumed units, once per refund', async () => {
    const { gameId, playerId, potion, secret } = await holding(5);
    await consumeItem(secret, { playerId, itemId: potion, ...consume(3) });
    const refundId = newId();
    expect(await revokeItem(db, { gameId, playerId, itemId: potion, quantity: 5, reference: refundId })).toBe(2);
    expect(await ownedQuantity(db, gameId, playerId, potion)).toBe(0);
    await grantItem(db, { gameId, playerId, itemId: potion, kind: 'CONSUMABLE', quantity: 4, purchaseId: newId() });
    expect(await revokeItem(db, { gameId, playerId, itemId: potion, quantity: 5, reference: refundId })).toBe(2);
    expect(await ownedQuantity(db, gameId, playerId, potion)).toBe(4);
  });

  it('revokes a DURABLE; the purchase still counts toward the limit', async () => {
    const { gameId, playerId, sword } = await holding(0);
    await grantItem(db, { gameId, playerId, itemId: sword, kind: 'DURABLE', quantity: 1, purchaseId: newId() });
    expect(await revokeItem(db, { gameId, playerId, itemId: sword, quantity: 1, reference: newId() })).toBe(1);
    expect(await ownedQuantity(db, gameId, playerId, sword)).toBe(0);
    expect(await purchasedQuantity(db, gameId, playerId, sword)).toBe(1);
    expect(await revokeItem(db, { gameId, playerId, itemId: sword, quantity: 1, reference: newId() })).toBe(0);
  });
});

describe('getInventory', () => {
  it("lists a player's own non-empty entries through their game token, and other players' only with the secret key", async () => {
    const { gameId, playerId, potion, sword, secret } = await holding(2);
    await grantItem(db, { gameId, playerId, itemId: sword, kind: 'DURABLE', quantity: 1, purchaseId: newId() });
    await revokeItem(db, { gameId, playerId, itemId: sword, quantity: 1, reference: newId() });
    const own = serviceContext(db, { kind: 'player_game', playerId, gameId, authorizationId: newId() });
    expect(await getInventory(own, gameId)).toEqual([expect.objectContaining({ itemId: potion, quantity: 2 })]);
    await expect(getInventory(own, gameId, await makePlayer(db))).rejects.toBeInstanceOf(NotFoundError);
    expect(await getInventory(secret, gameId, playerId)).toHaveLength(1);
    await expect(getInventory(secret, gameId)).rejects.toBeInstanceOf(ValidationError);
    const other = await holding(0);
    await expect(getInventory(other.secret, gameId, playerId)).rejects.toBeInstanceOf(NotFoundError);
    const session = serviceContext(db, { kind: 'player', playerId, sessionId: newId() });
    expect(await getInventory(session, gameId)).toHaveLength(1);
  });
});
