import { sql } from 'drizzle-orm';
import type { Deps } from '../modules/service-context.js';

/** GET /healthz: the process is up. */
export function healthz(): Response {
  return Response.json({ status: 'ok' });
}

/** GET /readyz: the database and the shared store answer; 503 names what does not. */
export async function readyz(deps: Deps): Promise<Response> {
  const within = <T>(promise: Promise<T>, ms: number) =>
    Promise.race([
      promise,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref()),
    ]);
  const [database, store] = await Promise.all([
    within(deps.db.execute(sql`select 1`), 2_000).then(
      () => 'up' as const,
      () => 'down' as const,
    ),
    within(deps.storeHealth.ping(), 2_000).then(
      (ok) => (ok ? ('up' as const) : ('down' as const)),
      () => 'down' as const,
    ),
  ]);
  const ready = database === 'up' && store === 'up';
  return Response.json(
    { status: ready ? 'ready' : 'not_ready', database, [deps.storeHealth.kind === 'redis' ? 'redis' : 'store']: store },
    { status: ready ? 200 : 503 },
  );
}
