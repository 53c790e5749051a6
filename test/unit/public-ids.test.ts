import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ID_PREFIXES, isIdKind, parseLegacyId, parsePublicId, publicId } from '../../src/shared/public-ids.js';

describe('public ids', () => {
  it("encodes as TypeID does (the spec's own vectors)", () => {
    expect(publicId('Purchase', '00000000-0000-0000-0000-000000000000')).toBe('pur_00000000000000000000000000');
    expect(publicId('Purchase', 'ffffffff-ffff-ffff-ffff-ffffffffffff')).toBe('pur_7zzzzzzzzzzzzzzzzzzzzzzzzz');
    expect(publicId('Game', '01890a5d-ac96-774b-bcce-b302099a8057')).toBe('gam_01h455vb4pex5vsknk084sn02q');
  });

  it('round-trips every kind, and upper-case UUIDs come back lower-case', () => {
    for (const kind of Object.keys(ID_PREFIXES) as (keyof typeof ID_PREFIXES)[]) {
      const uuid = randomUUID();
      const id = publicId(kind, uuid.toUpperCase());
      expect(id.startsWith(`${ID_PREFIXES[kind]}_`)).toBe(true);
      expect(parsePublicId(id)).toEqual({ kind, rowId: uuid });
    }
  });

  it('keeps a webhook event id as it was born', () => {
    const id = `evt_${'0123456789abcdef'.repeat(2)}`;
    expect(publicId('WebhookEvent', id)).toBe(id);
    expect(parsePublicId(id)).toEqual({ kind: 'WebhookEvent', rowId: id });
  });

  it('refuses what is not one id, without throwing', () => {
    for (const bad of [
      '',
      'pur_',
      'pur_0000000000000000000000000', // 25 characters
      'pur_000000000000000000000000000', // 27
      'pur_80000000000000000000000000', // past 128 bits
      'pur_0000000000000000000000000u', // u is not in the alphabet
      'PUR_00000000000000000000000000',
      'abc_00000000000000000000000000',
      '00000000-0000-0000-0000-000000000000',
    ]) {
      expect(parsePublicId(bad), bad).toBeNull();
    }
    expect(() => publicId('Game', 'not-a-uuid')).toThrow();
  });

  it('reads the ids of before: Relay global ids, and bare UUIDs when the kind is known', () => {
    const uuid = randomUUID();
    expect(parseLegacyId(Buffer.from(`Purchase:${uuid}`).toString('base64'))).toEqual({
      kind: 'Purchase',
      rowId: uuid,
    });
    expect(parseLegacyId(uuid, 'Game')).toEqual({ kind: 'Game', rowId: uuid });
    expect(parseLegacyId(uuid)).toBeNull();
    expect(parseLegacyId(Buffer.from(`Nope:${uuid}`).toString('base64'))).toBeNull();
    expect(parseLegacyId(Buffer.from('Purchase:abc').toString('base64'))).toBeNull();
  });
});

describe('the schema and the ids', () => {
  it('gives every Node type a prefix, so that none falls back to a Relay id', async () => {
    const { schema } = await import('../../src/graphql/schema/index.js');
    const { isObjectType } = await import('graphql');
    const nodes = Object.values(schema.getTypeMap())
      .filter(isObjectType)
      .filter((type) => type.getInterfaces().some((i) => i.name === 'Node'))
      .map((type) => type.name);
    expect(nodes.length).toBeGreaterThan(10);
    expect(nodes.filter((name) => !isIdKind(name))).toEqual([]);
  });
});
