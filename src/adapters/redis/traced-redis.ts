// A span per Redis call the adapters make (OpenTelemetry's Redis conventions): Coinslot's Lua scripts
// as `EVALSHA <script>`, and the few plain commands. Keys and arguments (ids, sealed responses) are
// never put on a span: only the command, the script's name and where Redis is.
import type { Attributes } from '@opentelemetry/api';
import { withChildSpan } from '../../shared/tracing.js';
import type { RedisClients, RedisCommands } from './redis-client.js';

/** `server.address`, `server.port` and `db.namespace` of the configured Redis (never its credentials). */
export function redisTarget(url: string): Attributes {
  const parsed = new URL(url);
  return {
    'db.system.name': 'redis',
    'db.system': 'redis',
    'server.address': parsed.hostname.replace(/^\[|\]$/g, ''),
    'server.port': Number(parsed.port || 6379),
    'db.namespace': /^\/(\d+)$/.exec(parsed.pathname)?.[1] ?? '0',
  };
}

/** The same clients, whose command side makes a span per call inside a traced request. */
export function traceRedisClients(clients: RedisClients, target: Attributes): RedisClients {
  return { ...clients, client: traceRedisCommands(clients.client, target) };
}

function traceRedisCommands(client: RedisCommands, target: Attributes): RedisCommands {
  const call = <T>(operation: string, script: string | null, run: () => Promise<T>): Promise<T> =>
    withChildSpan(
      script ? `${operation} ${script}` : operation,
      {
        attributes: () => ({
          ...target,
          'db.operation.name': operation,
          ...(script ? { 'db.stored_procedure.name': script } : {}),
        }),
      },
      run,
    );
  return {
    get isReady() {
      return client.isReady;
    },
    velocityRules: (...args) => call('EVALSHA', 'velocityRules', () => client.velocityRules(...args)),
    apiRateLimit: (...args) => call('EVALSHA', 'apiRateLimit', () => client.apiRateLimit(...args)),
    idempotencyBegin: (...args) => call('EVALSHA', 'idempotencyBegin', () => client.idempotencyBegin(...args)),
    idempotencyBeginThrottled: (...args) =>
      call('EVALSHA', 'idempotencyBeginThrottled', () => client.idempotencyBeginThrottled(...args)),
    idempotencyComplete: (...args) => call('EVALSHA', 'idempotencyComplete', () => client.idempotencyComplete(...args)),
    idempotencyRelease: (...args) => call('EVALSHA', 'idempotencyRelease', () => client.idempotencyRelease(...args)),
    slidingWindow: (...args) => call('EVALSHA', 'slidingWindow', () => client.slidingWindow(...args)),
    publish: (channel, message) => call('PUBLISH', null, () => client.publish(channel, message)),
    del: (keys) => call('DEL', null, () => client.del(keys)),
    ping: () => call('PING', null, () => client.ping()),
    sendCommand: (args) =>
      call(/^[A-Za-z]+$/.test(args[0] ?? '') ? args[0]!.toUpperCase() : 'COMMAND', null, () =>
        client.sendCommand(args),
      ),
  };
}
