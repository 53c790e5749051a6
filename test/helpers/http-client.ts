// GraphQL over real HTTP to a Coinslot process, from distinct client addresses (127.x.y.z are all loopback on Linux),
// so that per-IP fraud rules see many players as they would in production, not one test machine.
import { Agent, fetch } from 'undici';

export interface HttpGqlResult {
  readonly status: number;
  readonly data: Record<string, any> | null;
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

/**
 * POSTs one GraphQL operation to `baseUrl`/graphql. Rejects on a network failure (the process died,
 * the connection was reset) or after `timeoutMs`; a JSON body that is not JSON is an error too.
 */
export async function httpGql(
  baseUrl: string,
  query: string,
  variables: Record<string, unknown>,
  options: { token?: string; address?: string; timeoutMs?: number; headers?: Record<string, string> } = {},
): Promise<HttpGqlResult> {
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
  let json: { data?: Record<string, any> | null; errors?: HttpGqlResult['errors'] };
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`HTTP ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`);
  }
  return { status: response.status, data: json.data ?? null, ...(json.errors ? { errors: json.errors } : {}) };
}
