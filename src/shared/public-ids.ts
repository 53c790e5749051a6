// One id per object, everywhere: `<prefix>_<26 characters>`, the TypeID format (jetify's TypeID spec):
// the row's UUID, its 128 bits in Crockford base32, lower case, behind a prefix naming the kind.
// The GraphQL ID, webhooks, receipts, logs and the SDK all carry this one string; decoding it is
// a pure function, so no row stores it and no migration made it.

/** The prefix of each kind of object. A kind missing here has no public id (a test checks the schema's Nodes). */
export const ID_PREFIXES = {
  Developer: 'dev',
  Player: 'ply',
  Game: 'gam',
  Item: 'itm',
  Card: 'crd',
  GameAuthorization: 'gau',
  Purchase: 'pur',
  Refund: 'ref',
  Dispute: 'dsp',
  RiskEvent: 'rsk',
  LedgerAccount: 'lac',
  LedgerTransaction: 'ltx',
  LedgerEntry: 'len',
  WebhookEvent: 'evt',
  WebhookDelivery: 'whd',
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

const KIND_BY_PREFIX = new Map<string, IdKind>(
  Object.entries(ID_PREFIXES).map(([kind, prefix]) => [prefix, kind as IdKind]),
);

/** Crockford's base32 as TypeID writes it: lower case, no i, l, o, u. */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const VALUE = new Map([...ALPHABET].map((c, i) => [c, i]));

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Webhook events were born with their public id: `evt_` and 32 hex digits (time-ordered). */
const EVENT_ID = /^evt_[0-9a-f]{32}$/;

/** The 26 characters of a UUID: 130 bits of base32 whose first two are zero, so the first character is 0–7. */
function uuidToBase32(uuid: string): string {
  let bits = BigInt(`0x${uuid.replaceAll('-', '')}`);
  const out: string[] = new Array(26);
  for (let i = 25; i >= 0; i--) {
    out[i] = ALPHABET[Number(bits & 31n)]!;
    bits >>= 5n;
  }
  return out.join('');
}

function base32ToUuid(text: string): string | null {
  if (text.length !== 26) return null;
  let bits = 0n;
  for (const c of text) {
    const v = VALUE.get(c);
    if (v === undefined) return null;
    bits = (bits << 5n) | BigInt(v);
  }
  // More than 128 bits (a first character past 7) names no UUID.
  if (bits >> 128n !== 0n) return null;
  const hex = bits.toString(16).padStart(32, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The public id of a row of `kind`, from its UUID (or, for a webhook event, its `evt_…` id as it is). */
export function publicId(kind: IdKind, rowId: string): string {
  if (kind === 'WebhookEvent' && EVENT_ID.test(rowId)) return rowId;
  if (!UUID.test(rowId)) throw new Error(`${kind} row id is not a UUID`);
  return `${ID_PREFIXES[kind]}_${uuidToBase32(rowId.toLowerCase())}`;
}

/** The public id of `rowId` when there is one, else null (for nullable references). */
export function publicIdOrNull(kind: IdKind, rowId: string | null | undefined): string | null {
  return rowId == null ? null : publicId(kind, rowId);
}

/** Whether `kind` has a public id. */
export function isIdKind(kind: string): kind is IdKind {
  return Object.hasOwn(ID_PREFIXES, kind);
}

/** The kind and row id inside a public id, or null when it is not one (never throws). */
export function parsePublicId(id: string): { readonly kind: IdKind; readonly rowId: string } | null {
  if (EVENT_ID.test(id)) return { kind: 'WebhookEvent', rowId: id };
  const sep = id.indexOf('_');
  if (sep < 0 || id.length !== sep + 27) return null;
  const kind = KIND_BY_PREFIX.get(id.slice(0, sep));
  if (!kind) return null;
  const rowId = base32ToUuid(id.slice(sep + 1));
  return rowId ? { kind, rowId } : null;
}

/**
 * The ids of before the one-id change, accepted while integrations move over: a Relay global id
 * (base64 of `Kind:uuid`) or a bare UUID when the caller names the kind. Null when it is neither.
 */
export function parseLegacyId(id: string, expected?: IdKind): { readonly kind: IdKind; readonly rowId: string } | null {
  if (expected && expected !== 'WebhookEvent' && UUID.test(id)) return { kind: expected, rowId: id.toLowerCase() };
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(id)) return null;
  const text = Buffer.from(id, 'base64').toString('utf8');
  const sep = text.indexOf(':');
  if (sep < 0) return null;
  const kind = text.slice(0, sep);
  const rowId = text.slice(sep + 1);
  if (!isIdKind(kind)) return null;
  if (kind === 'WebhookEvent' ? !EVENT_ID.test(rowId) : !UUID.test(rowId)) return null;
  return { kind, rowId: kind === 'WebhookEvent' ? rowId : rowId.toLowerCase() };
}
