// Relay plumbing shared by the schema files: global ids in, keyset cursors out.
import type { ResolveCursorConnectionArgs } from '@pothos/plugin-relay';
import { ValidationError } from '../shared/errors.js';
import type { KeysetKey, KeysetPage } from '../shared/page.js';
import { ID_PREFIXES, parseLegacyId, parsePublicId, type IdKind } from '../shared/public-ids.js';

/**
 * The row id inside the public id (`pur_…`) of a `kind`; during the transition also a Relay global
 * id or a bare UUID of before. A malformed id or one of another kind is a ValidationError on `path`
 * (a typed result in mutations, a VALIDATION_FAILED error elsewhere).
 */
export function decodeId(kind: IdKind, id: string | number, path: string): string {
  const text = String(id);
  const parsed = parsePublicId(text) ?? parseLegacyId(text, kind);
  if (!parsed || parsed.kind !== kind)
    throw ValidationError.field(path, `must be a ${kind} id (${ID_PREFIXES[kind]}_…)`);
  return parsed.rowId;
}

/** Opaque connection cursor of a row ordered by (createdAt, id). */
export function encodeCursor(row: KeysetKey): string {
  return Buffer.from(`${row.createdAt.toISOString()}|${row.id}`).toString('base64url');
}

function decodeCursor(cursor: string | undefined, name: string): KeysetKey | undefined {
  if (cursor === undefined) return undefined;
  const [at, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  const createdAt = new Date(at ?? '');
  if (!id || !/^[0-9a-f-]{36}$/i.test(id) || Number.isNaN(createdAt.getTime()))
    throw ValidationError.field(name, 'is not a valid cursor');
  return { createdAt, id };
}

/** Relay's before/after/limit as a keyset page for the modules. */
export function keysetPage(args: ResolveCursorConnectionArgs): KeysetPage {
  return {
    after: decodeCursor(args.after, 'after'),
    before: decodeCursor(args.before, 'before'),
    limit: args.limit,
    inverted: args.inverted,
  };
}
