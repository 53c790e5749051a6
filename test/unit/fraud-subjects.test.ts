import { describe, expect, it } from 'vitest';
import { normalizeDeviceId, normalizeIp } from '../../src/modules/fraud/subjects.js';

describe('normalizeIp: an address as a fraud counter key', () => {
  it('keeps IPv4 as it is, also when written as IPv4-mapped IPv6', () => {
    expect(normalizeIp('198.51.100.7')).toBe('198.51.100.7');
    expect(normalizeIp(' ::ffff:198.51.100.7 ')).toBe('198.51.100.7');
  });

  it('groups IPv6 by its /64, whatever the host part and its spelling', () => {
    const a = normalizeIp('2001:db8:1:2:aaaa::1');
    expect(a).toBe('2001:db8:1:2::/64');
    expect(normalizeIp('2001:DB8:1:2:bbbb:cccc:dddd:eeee')).toBe(a);
    expect(normalizeIp('2001:0db8:0001:0002::')).toBe(a);
    expect(normalizeIp('2001:db8:1:3::1')).not.toBe(a);
  });

  it('gives null for what is not an address (so no counter is touched)', () => {
    for (const bad of [
      null,
      undefined,
      '',
      '   ',
      'garbage',
      '1.2.3',
      '01.2.3.4',
      '256.1.1.1',
      ':::',
      'x'.repeat(80),
    ]) {
      expect(normalizeIp(bad)).toBeNull();
    }
  });
});

describe('normalizeDeviceId', () => {
  it('hashes what the client sends into a short key, and gives null for nothing', () => {
    expect(normalizeDeviceId('device-1')).toMatch(/^[\w-]{22}$/);
    expect(normalizeDeviceId(' device-1 ')).toBe(normalizeDeviceId('device-1'));
    expect(normalizeDeviceId('  ')).toBeNull();
  });
});
