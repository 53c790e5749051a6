import { createHash } from 'node:crypto';

/** An IP as a counter key: IPv4-mapped IPv6 written as IPv4, lower case; null when unknown or implausible. */
export function normalizeIp(ip: string | null | undefined): string | null {
  const trimmed = ip?.trim().toLowerCase();
  if (!trimmed || trimmed.length > 64 || !/^[0-9a-f.:]+$/.test(trimmed)) return null;
  return trimmed.startsWith('::ffff:') && trimmed.includes('.') ? trimmed.slice(7) : trimmed;
}

/** A device id as a counter key: a short hash, since the client chooses it (any length, any characters). */
export function normalizeDeviceId(deviceId: string | null | undefined): string | null {
  const trimmed = deviceId?.trim();
  if (!trimmed) return null;
  return createHash('sha256').update(trimmed).digest('base64url').slice(0, 22);
}
