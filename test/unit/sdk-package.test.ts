// coinslot.js as a package export (issue 16, item 5): `coinslot/coinslot` resolves to the SDK with its
// types, and its PKCE challenge is RFC 7636's S256, as the server computes it for the token endpoint.
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';

describe('the coinslot/coinslot package export', () => {
  it('is the browser SDK: createCoinslot, CoinslotError and s256', async () => {
    const sdk = await import('coinslot/coinslot');
    expect(typeof sdk.createCoinslot).toBe('function');
    expect(new sdk.CoinslotError('closed', 'x')).toMatchObject({ name: 'CoinslotError', code: 'closed' });
  });

  it('makes the S256 challenge the token endpoint checks: base64url(SHA-256(verifier)), no padding', async () => {
    const { s256 } = await import('coinslot/coinslot');
    for (let i = 0; i < 50; i++) {
      const verifier = randomBytes(32 + (i % 64)).toString('base64url');
      const challenge = await s256(verifier);
      expect(challenge).toBe(createHash('sha256').update(verifier).digest('base64url'));
      expect(challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    }
  });
});
