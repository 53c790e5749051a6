import { createHash } from 'node:crypto';
import ipaddr from 'ipaddr.js';

/**
 * An address as a counter key, or null when unknown or not an address. IPv4 (also written as
 * IPv4-mapped IPv6) is its own key. IPv6 is grouped by its /64: one home, phone or office network is
 * handed a whole /64 and its devices pick addresses in it at will (privacy addresses rotate daily),
 * so counting single IPv6 addresses would let one card tester count as thousands of addresses.
 */
export function normalizeIp(ip: string | null | undefined): string | null {
  const trimmed = ip?.trim();
  if (!trimmed || trimmed.length > 64) return null;
  if (!ipaddr.IPv4.isValidFourPartDecimal(trimmed) && !ipaddr.IPv6.isValid(trimmed)) return null;
  const address = ipaddr.process(trimmed); // IPv4-mapped IPv6 becomes IPv4
  if (address.kind() === 'ipv4') return address.toString();
  const parts = (address as ipaddr.IPv6).parts.slice(0, 4);
  return `${parts.map((part) => part.toString(16)).join(':')}::/64`;
}

/** A device id as a counter key: a short hash, since the client chooses it (any length, any characters). */
export function normalizeDeviceId(deviceId: string | null | undefined): string | null {
  const trimmed = deviceId?.trim();
  if (!trimmed) return null;
  return createHash('sha256').update(trimmed).digest('base64url').slice(0, 22);
}
