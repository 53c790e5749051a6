// Where a game runs (Coinslot Connect): the origins and redirect URIs createGame and updateGame accept,
// in development and in production, where plain http on loopback is no longer a developer's machine.
import { describe, expect, it } from 'vitest';
import { createGameInput, updateGameInput } from '../../src/modules/games/index.js';
import { ValidationError } from '../../src/shared/errors.js';
import { parseInput } from '../../src/shared/validation.js';

const LOOPBACK_ORIGINS = [
  'http://localhost:4001',
  'http://127.0.0.1:4001',
  'http://127.0.0.2:4002',
  'http://[::1]:4001',
];
const LOOPBACK_REDIRECTS = ['http://127.0.0.1:7777/callback', 'http://localhost:7777/callback'];

/** The field errors of parsing createGame's and updateGame's input; [] when both accept it. */
function refusals(production: boolean, fields: { allowedOrigins?: string[]; redirectUris?: string[] }) {
  const paths: string[][] = [];
  for (const parse of [
    () => parseInput(createGameInput(production), { name: 'Skyhopper', defaultCurrency: 'USD', ...fields }),
    () => parseInput(updateGameInput(production), { gameId: 'g', ...fields }),
  ]) {
    try {
      parse();
      paths.push([]);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      paths.push(error.issues.map((i) => `${i.path}: ${i.message}`));
    }
  }
  expect(paths[0]).toEqual(paths[1]);
  return paths[0]!;
}

describe('allowedOrigins and redirectUris on loopback', () => {
  it('are accepted outside production', () => {
    expect(refusals(false, { allowedOrigins: LOOPBACK_ORIGINS, redirectUris: LOOPBACK_REDIRECTS })).toEqual([]);
  });

  it('are a ValidationError naming each entry in production', () => {
    expect(refusals(true, { allowedOrigins: LOOPBACK_ORIGINS })).toEqual(
      LOOPBACK_ORIGINS.map(
        (_, i) => `input.allowedOrigins.${i}: must use https (http on loopback is for development only)`,
      ),
    );
    expect(refusals(true, { redirectUris: LOOPBACK_REDIRECTS })).toEqual(
      LOOPBACK_REDIRECTS.map(
        (_, i) => `input.redirectUris.${i}: must use https (http on loopback is for development only)`,
      ),
    );
  });

  it('production still takes https origins, private-use schemes and https app links', () => {
    expect(
      refusals(true, {
        allowedOrigins: ['https://play.skyhopper.example', 'https://play.skyhopper.example:8443'],
        redirectUris: ['com.skyhopper.game:/coinslot', 'https://skyhopper.example/app/coinslot'],
      }),
    ).toEqual([]);
  });

  it('http on a host that is not loopback is refused everywhere', () => {
    for (const production of [false, true]) {
      expect(refusals(production, { allowedOrigins: ['http://localhost.evil.example'] })).toEqual([
        'input.allowedOrigins.0: must use https',
      ]);
      expect(refusals(production, { redirectUris: ['http://127.0.0.1.evil.example/cb'] })).toEqual([
        'input.redirectUris.0: must use https (http on loopback is for development only)',
      ]);
    }
  });
});
