// GraphQL over real HTTP to a Coinslot process, from distinct client addresses (127.x.y.z are all loopback on Linux),
// so that per-IP fraud rules see many players as they would in production, not one test machine.
import { print } from 'graphql';
import { Agent, fetch } from 'undici';
import type { TadaDocumentNode } from './graphql.js';

export interface HttpGqlResult<T = Record<string, any>> {
  readonly status: number;
  readonly data: T | null;
  readonly errors?: { message: string; extensions?: Record<string, any> }[];
}

/** A loopback client address for the n-th simulated client: 127.1.x.y (never 127.0.0.1). */
export function clientAddress(n: number): string {
  return `127.1.${Math.floor(n / 250) % 250}.${(n % 250) + 2}`;
}

const agents = new Map<string, Agent>();

/** A keep-alive connection pool that connects from `address`. */
export function agentFor(address: string): Agent {
  let agent = agents.get(address);
  if (!agent) {
    agent = new Agent({ localAddress: address, connections: 4, keepAliveTimeout: 2_000 });
    agents.set(address, agent);
  }
  return agent;
}

/** Closes every agent made by agentFor (end of a test file). */
export async function closeAgents(): Promise<void> {
  const all = [...agents.values()];
  agents.clear();
  await Promise.allSettled(all.map((a) => a.destroy()));
}

export interface HttpGqlOptions {
  readonly token?: string;
  readonly address?: string;
  readonly timeoutMs?: number;
  readonly headers?: Record<string, string>;
}

/**
 * POSTs one GraphQL operation to `baseUrl`/graphql. Rejects on a network failure (the process died,
 * the connection was reset) or after `timeoutMs`; a JSON body that is not JSON is an error too.
 * A typed document (`graphql()` from test/helpers/graphql.ts) types the variables and `data`.
 */
export async function httpGql<R, V>(
  baseUrl: string,
  document: TadaDocumentNode<R, V>,
  variables: V,
  options?: HttpGqlOptions,
): Promise<HttpGqlResult<R>>;
export async function httpGql(
  baseUrl: string,
  query: string,
  variables: Record<string, unknown>,
  options?: HttpGqlOptions,
): Promise<HttpGqlResult>;
export async function httpGql(
  baseUrl: string,
  document: string | TadaDocumentNode<unknown, unknown>,
  variables: unknown,
  options: HttpGqlOptions = {},
): Promise<HttpGqlResult<unknown>> {
  const query = typeof document === 'string' ? document : print(document);
  const response = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(options.timeoutMs ?? 20_000),
    ...(options.address ? { dispatcher: agentFor(options.address) } : {}),
  });
  const text = await response.text();
  let json: { data?: unknown; errors?: HttpGqlResult['errors'] };
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`HTTP ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`);
  }
  return { status: response.status, data: json.data ?? null, ...(json.errors ? { errors: json.errors } : {}) };
}
