import { randomBytes, randomUUID } from 'node:crypto';

/** A new row id (UUID v4). */
export function newId(): string {
  return randomUUID();
}

/** A secret token of 256 random bits with a readable kind prefix (`sk_`, `pk_`, `ps_`…). */
export function newSecret(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}
