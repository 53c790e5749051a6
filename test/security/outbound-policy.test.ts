// Issue 17, finding 1: which destinations the outbound client refuses, judged from the URL alone.
import { describe, expect, it } from 'vitest';
import { addressRefusal, createOutboundHttp } from '../../src/adapters/http/outbound-http.js';
import { INTERNAL_URLS } from './hostile-urls.js';

const closed = createOutboundHttp({ allowPrivateNetwork: false });
const open = createOutboundHttp({ allowPrivateNetwork: true });

describe('outbound destination policy (SSRF)', () => {
  it.each(INTERNAL_URLS)('refuses %s', (url) => {
    expect(closed.refusal(url)).not.toBeNull();
  });

  it.each([
    'https://game.example/coinslot',
    'https://93.184.215.14/hook',
    'https://[2606:4700:4700::1111]/hook',
    'https://hooks.studio.dev:8443/x',
  ])('allows the public destination %s', (url) => {
    expect(closed.refusal(url)).toBeNull();
  });

  it('WEBHOOK_ALLOW_PRIVATE_NETWORK opens loopback, RFC 1918, CGNAT and unique-local, never metadata or link-local', () => {
    for (const url of [
      'http://127.0.0.1:8080/',
      'http://localhost:3000/',
      'https://10.0.0.1/',
      'https://192.168.1.1/',
      'https://[::1]/',
      'https://[fc00::1]/',
      'https://100.64.0.1/',
      'http://2130706433/',
      'https://printer.local/',
    ])
      expect(open.refusal(url), url).toBeNull();
    for (const url of [
      'https://169.254.169.254/',
      'https://[::ffff:169.254.169.254]/',
      'https://metadata.google.internal/',
      'https://[fd00:ec2::254]/',
      'https://100.100.100.200/',
      'https://[fe80::1]/',
      'https://0.0.0.0/',
      'https://224.0.0.1/',
    ])
      expect(open.refusal(url), url).not.toBeNull();
  });

  it('refuses schemes other than http and https', () => {
    for (const url of ['file:///etc/passwd', 'gopher://127.0.0.1:6379/_', 'ftp://game.example/', 'not a url'])
      expect(open.refusal(url), url).not.toBeNull();
  });

  it('judges the embedded IPv4 address of IPv6 forms, not their IPv6 range', () => {
    expect(addressRefusal('::ffff:8.8.8.8', false)).toBeNull();
    expect(addressRefusal('::ffff:10.1.2.3', false)).toMatch(/private/);
    expect(addressRefusal('64:ff9b::8.8.8.8', false)).toBeNull();
    expect(addressRefusal('64:ff9b::127.0.0.1', false)).toMatch(/loopback/);
  });
});
