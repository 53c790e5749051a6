import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, buildConnector, request } from 'undici';
import type { OutboundHttp, OutboundRequest, OutboundResult } from '../../shared/outbound-http-port.js';

/** Resolves a host name to every address it has (the default is the system resolver). */
export type HostLookup = (hostname: string) => Promise<readonly { readonly address: string }[]>;

export interface OutboundHttpOptions {
  /** WEBHOOK_ALLOW_PRIVATE_NETWORK: loopback, private and unique-local destinations become allowed. */
  readonly allowPrivateNetwork: boolean;
  /** Injected by tests (DNS rebinding); the system resolver otherwise. */
  readonly lookup?: HostLookup;
  /** Bound on the TCP and TLS handshake alone (the request's own timeout bounds everything). */
  readonly connectTimeoutMs?: number;
}

/** Why an address may not be called, or null; `allowPrivate` opens loopback, RFC 1918, CGNAT and unique-local. */
export function addressRefusal(address: string, allowPrivate: boolean): string | null {
  if (!ipaddr.isValid(address)) return 'not an IP address';
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6') {
    const embedded = embeddedIpv4(parsed as ipaddr.IPv6);
    if (embedded === 'refused') return 'an IPv6 transition address';
    if (embedded) parsed = embedded;
  }
  const text = parsed.toNormalizedString();
  if (CLOUD_METADATA_ADDRESSES.has(text)) return 'a cloud metadata address';
  const range = parsed.range();
  if (range === 'unicast') return null;
  if (allowPrivate && PRIVATE_RANGES.has(range)) return null;
  return `a ${range} address`;
}

// The ranges WEBHOOK_ALLOW_PRIVATE_NETWORK opens: a developer's own machine or network. Link-local,
// multicast, broadcast, unspecified, documentation and every other special range stay refused.
const PRIVATE_RANGES = new Set(['loopback', 'private', 'carrierGradeNat', 'uniqueLocal']);

// Always refused, even when private networks are allowed: AWS (IPv4 and IPv6), GCP, Azure, Oracle,
// Alibaba metadata services. 169.254/16 is link-local (refused anyway); listed for clarity.
const CLOUD_METADATA_ADDRESSES = new Set([
  '169.254.169.254',
  '169.254.170.2',
  '100.100.100.200',
  '192.0.0.192',
  'fd00:ec2:0:0:0:0:0:254',
]);

// Host names of cloud metadata services: always refused.
const METADATA_HOST_NAMES = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
]);
// Names that never leave the machine or the site: refused unless private networks are allowed.
const LOCAL_HOST_NAMES = new Set(['localhost', 'localhost.localdomain']);
const LOCAL_HOST_SUFFIXES = ['.localhost', '.internal', '.local', '.localdomain', '.home.arpa', '.lan', '.intranet'];

/** The IPv4 address an IPv6 address carries (mapped, compatible, NAT64, SIIT, 6to4); 'refused' for Teredo. */
function embeddedIpv4(address: ipaddr.IPv6): ipaddr.IPv4 | 'refused' | null {
  const range = address.range();
  const bytes = address.toByteArray();
  if (range === 'teredo') return 'refused';
  if (range === '6to4') return ipaddr.fromByteArray(bytes.slice(2, 6)) as ipaddr.IPv4;
  // ::a.b.c.d (IPv4-compatible, deprecated) has 96 zero bits; :: and ::1 are its own ranges
  const compatible = range === 'unicast' && bytes.slice(0, 12).every((b) => b === 0);
  if (range === 'ipv4Mapped' || range === 'rfc6145' || range === 'rfc6052' || compatible)
    return ipaddr.fromByteArray(bytes.slice(12, 16)) as ipaddr.IPv4;
  return null;
}

/** Why a host name (not an address) may not be called, or null; its addresses are checked apart. */
export function hostNameRefusal(hostname: string, allowPrivate: boolean): string | null {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  if (METADATA_HOST_NAMES.has(name)) return 'a cloud metadata host';
  if (allowPrivate) return null;
  if (LOCAL_HOST_NAMES.has(name) || LOCAL_HOST_SUFFIXES.some((suffix) => name.endsWith(suffix)))
    return 'an internal host name';
  return null;
}

/** The URL's host without IPv6 brackets. */
function bareHost(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

const REFUSED = Symbol('coinslot.outbound.refused');

/** Thrown inside the connector; recognized through undici's wrapping by its marker. */
class DestinationRefused extends Error {
  readonly [REFUSED] = true;
  constructor(readonly reason: string) {
    super('destination not allowed');
  }
}

function isRefusal(error: unknown): boolean {
  for (let e = error as { cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as never, depth++) {
    if ((e as { [REFUSED]?: boolean })[REFUSED]) return true;
  }
  return false;
}

const systemLookup: HostLookup = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/**
 * The outbound HTTP client for developer-supplied URLs (undici). Its connector resolves the host
 * itself and checks every address it gets before it opens a socket to one of them, so the address
 * checked is the address connected to (DNS rebinding cannot slip a loopback answer in after a
 * check); a host with any refused address is refused whole. Redirects are answers, never followed;
 * the whole exchange is bounded in time and at most maxResponseBytes of the body are read.
 */
export function createOutboundHttp(options: OutboundHttpOptions): OutboundHttp {
  const allowPrivate = options.allowPrivateNetwork;
  const lookup = options.lookup ?? systemLookup;
  const connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
  const baseConnect = buildConnector({ timeout: connectTimeoutMs });

  /** The address to connect to for `hostname`, after checking all of its addresses. */
  async function allowedAddress(hostname: string): Promise<string> {
    const host = bareHost(hostname);
    if (isIP(host)) {
      const refusal = addressRefusal(host, allowPrivate);
      if (refusal) throw new DestinationRefused(refusal);
      return host;
    }
    const nameRefusal = hostNameRefusal(host, allowPrivate);
    if (nameRefusal) throw new DestinationRefused(nameRefusal);
    const addresses = await lookup(host);
    if (addresses.length === 0) throw new Error('no address');
    for (const { address } of addresses) {
      const refusal = addressRefusal(address, allowPrivate);
      if (refusal) throw new DestinationRefused(refusal);
    }
    return addresses[0]!.address;
  }

  const agent = new Agent({
    keepAliveTimeout: 4_000,
    connections: 16,
    connect: (connectOptions, callback) => {
      allowedAddress(connectOptions.hostname).then(
        // `host` keeps the name: TLS checks the certificate (and sends SNI) for it, not for the address
        (address) => baseConnect({ ...connectOptions, hostname: address }, callback),
        (error: Error) => callback(error, null),
      );
    },
  });

  function refusal(url: string): string | null {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return 'not a URL';
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return 'not an http(s) URL';
    const host = bareHost(parsed.hostname);
    if (isIP(host)) return addressRefusal(host, allowPrivate);
    return hostNameRefusal(host, allowPrivate);
  }

  return {
    allowsPrivateNetwork: allowPrivate,
    refusal,
    async send(outbound: OutboundRequest): Promise<OutboundResult> {
      if (refusal(outbound.url) !== null) return { kind: 'refused' };
      const timeout = AbortSignal.timeout(outbound.timeoutMs);
      const signal = outbound.signal ? AbortSignal.any([timeout, outbound.signal]) : timeout;
      try {
        const response = await request(outbound.url, {
          method: outbound.method,
          headers: outbound.headers,
          body: outbound.body,
          signal,
          dispatcher: agent,
        });
        return { kind: 'response', status: response.statusCode, body: await readAtMost(response.body, outbound) };
      } catch (error) {
        return isRefusal(error) ? { kind: 'refused' } : { kind: 'no_response' };
      }
    },
    close: () => agent.close(),
  };
}

/** Reads up to maxResponseBytes of a body, then drops the rest; a body cut short keeps what arrived. */
async function readAtMost(
  body: AsyncIterable<Buffer> & { destroy(error?: Error): unknown },
  outbound: OutboundRequest,
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= outbound.maxResponseBytes) break;
    }
  } catch {
    // the status is what counts; a body cut by the deadline keeps what arrived
  } finally {
    body.destroy();
  }
  return new TextDecoder('utf-8', { fatal: false }).decode(
    Buffer.concat(chunks).subarray(0, outbound.maxResponseBytes),
  );
}
