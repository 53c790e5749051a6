import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../../src/db/client.js';
import { gameWebhookSecrets } from '../../../src/db/schema/index.js';
import type { Config } from '../../../src/config.js';
import { systemClock } from '../../../src/shared/clock.js';
import { newId } from '../../../src/shared/ids.js';
import type { Deps, ServiceContext } from '../../../src/modules/service-context.js';
import { getWebhookSigningSecrets, reencryptWebhookSecrets } from '../../../src/modules/games/index.js';
import { issueWebhookSecret } from '../../../src/modules/games/webhook-secrets.js';
import { currentSealPrefix } from '../../../src/modules/games/webhook-secret-cipher.js';
import { makeGame, openTestDatabase } from '../ledger/fixtures.js';

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await openTestDatabase(4);
});
afterAll(() => handle.close());

const keyA = `key-a-${randomBytes(24).toString('hex')}`;
const keyB = `key-b-${randomBytes(24).toString('hex')}`;

/** A context whose config holds only what the webhook secret cipher reads. */
function contextWith(current: string, previous: string[] = []): ServiceContext {
  const config = { secrets: { webhookSecretKey: current, webhookSecretKeysPrevious: previous } } as unknown as Config;
  const deps = { db: handle.db, clock: systemClock, config, logger: pino({ level: 'silent' }) } as unknown as Deps;
  return { deps, principal: { kind: 'operator' }, requestId: 'test', ip: null };
}

async function storedFor(gameId: string): Promise<string[]> {
  const rows = await handle.db
    .select({ sealed: gameWebhookSecrets.secretCiphertext })
    .from(gameWebhookSecrets)
    .where(eq(gameWebhookSecrets.gameId, gameId));
  return rows.map((r) => r.sealed);
}

/** A secret as sealed before key ids existed: base64url(iv | tag | ciphertext), no prefix. */
function legacySeal(material: string, gameId: string, secret: string): string {
  const key = Buffer.from(hkdfSync('sha256', material, '', 'coinslot webhook secrets v1', 32));
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(gameId));
  const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

describe('rotating WEBHOOK_SECRET_KEY', () => {
  it('keeps signing with secrets sealed under the previous key, then seals them again under the new one', async () => {
    const { gameId } = await makeGame(handle.db);
    const underA = contextWith(keyA);
    const secret = await issueWebhookSecret(underA, handle.db, gameId);
    const [sealedA] = await storedFor(gameId);
    expect(sealedA!.startsWith(currentSealPrefix(underA.deps))).toBe(true);
    expect(sealedA).not.toContain(secret.slice(6, 20));

    // The operator rotates: B current, A previous. Deliveries still sign with the same secret.
    const rotated = contextWith(keyB, [keyA]);
    expect(await getWebhookSigningSecrets(rotated.deps, handle.db, gameId)).toEqual([secret]);
    // Without A the old value does not open: that is what re-encryption is for.
    await expect(getWebhookSigningSecrets(contextWith(keyB).deps, handle.db, gameId)).rejects.toThrow(
      /neither WEBHOOK_SECRET_KEY nor/,
    );

    expect(await reencryptWebhookSecrets(rotated)).toBeGreaterThanOrEqual(1);
    const [sealedB] = await storedFor(gameId);
    expect(sealedB!.startsWith(currentSealPrefix(rotated.deps))).toBe(true);
    // A can now be dropped; A alone no longer opens it.
    expect(await getWebhookSigningSecrets(contextWith(keyB).deps, handle.db, gameId)).toEqual([secret]);
    await expect(getWebhookSigningSecrets(underA.deps, handle.db, gameId)).rejects.toThrow();
    // A second pass has nothing of this game left to move.
    await reencryptWebhookSecrets(rotated);
    expect(await storedFor(gameId)).toEqual([sealedB]);
  });

  it('opens and moves a value sealed before key ids existed, and leaves one that no configured key opens', async () => {
    const { gameId } = await makeGame(handle.db);
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const legacyId = newId();
    const strayId = newId();
    const stray = legacySeal(`some-other-key-${randomBytes(8).toString('hex')}`, gameId, 'whsec_unreadable');
    await handle.db.insert(gameWebhookSecrets).values([
      {
        id: legacyId,
        gameId,
        secretCiphertext: legacySeal(keyA, gameId, secret),
        secretPrefix: secret.slice(0, 12),
        createdAt: new Date(),
        expiresAt: null,
      },
      {
        id: strayId,
        gameId,
        secretCiphertext: stray,
        secretPrefix: 'whsec_unread',
        createdAt: new Date(0),
        expiresAt: new Date(1),
      },
    ]);
    const rotated = contextWith(keyB, [keyA]);
    expect(await getWebhookSigningSecrets(rotated.deps, handle.db, gameId)).toEqual([secret]);
    await reencryptWebhookSecrets(rotated);
    const rows = await handle.db.select().from(gameWebhookSecrets).where(eq(gameWebhookSecrets.gameId, gameId));
    const byId = new Map(rows.map((r) => [r.id, r.secretCiphertext]));
    expect(byId.get(legacyId)!.startsWith(currentSealPrefix(rotated.deps))).toBe(true);
    expect(byId.get(strayId)).toBe(stray);
    expect(await getWebhookSigningSecrets(contextWith(keyB).deps, handle.db, gameId)).toEqual([secret]);
  });
});
