// A span per Postgres statement (OpenTelemetry database conventions), put on the driver the client
// wraps: pg's pool and the clients it lends for transactions, or PGlite and its transactions. Only the
// statement text is kept, with any literal replaced by `?`; bind values are never read.
import type pg from 'pg';
import type { PGlite, Transaction } from '@electric-sql/pglite';
import type { Attributes } from '@opentelemetry/api';
import { SpanKind, withChildSpan } from '../shared/tracing.js';

/** What every span of one database carries (`db.namespace`, `server.address`…). */
type Target = Attributes;

/** At most this much statement text goes on a span. */
const MAX_TEXT = 2_000;

/** Text with every string and numeric literal replaced by `?` (bind placeholders such as $1 stay). */
export function sanitizeSql(text: string): string {
  const clean = text
    .replace(/'(?:[^']|'')*'/g, '?')
    .replace(/\$([A-Za-z_][A-Za-z0-9_]*)?\$[\s\S]*?\$\1\$/g, '?')
    .replace(/(?<![\w$."])-?\b\d+(?:\.\d+)?(?:e[+-]?\d+)?\b/gi, '?');
  return clean.length > MAX_TEXT ? `${clean.slice(0, MAX_TEXT)}…` : clean;
}

/** `SELECT purchases`: the statement's first keyword and the first table it names (the span's name). */
export function summarizeSql(text: string): { operation: string; collection: string | null } {
  const operation = /^\s*([A-Za-z]+)/.exec(text)?.[1]?.toUpperCase() ?? 'SQL';
  const target = /\b(?:from|into|update|join)\s+((?:"[^"]+"|[A-Za-z_][\w$]*)(?:\.(?:"[^"]+"|[A-Za-z_][\w$]*))?)/i.exec(
    text,
  )?.[1];
  return { operation, collection: target ? target.replaceAll('"', '') : null };
}

function traced<T>(text: string | undefined, target: Target, kind: SpanKind, run: () => Promise<T>): Promise<T> {
  let summary: { operation: string; collection: string | null } | null = null;
  const summarize = () => (summary ??= summarizeSql(text ?? ''));
  return withChildSpan(
    () => {
      const { operation, collection } = summarize();
      return collection ? `${operation} ${collection}` : operation;
    },
    {
      kind,
      attributes: () => {
        const { operation, collection } = summarize();
        return {
          ...target,
          'db.operation.name': operation,
          ...(collection ? { 'db.collection.name': collection } : {}),
          ...(text ? { 'db.query.text': sanitizeSql(text) } : {}),
        };
      },
      errorType: (error) => {
        const code = (error as { code?: unknown } | null)?.code;
        return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : (error as Error)?.name || '_OTHER';
      },
    },
    run,
  );
}

const textOf = (query: unknown): string | undefined =>
  typeof query === 'string'
    ? query
    : typeof (query as { text?: unknown })?.text === 'string'
      ? (query as { text: string }).text
      : undefined;

type AnyCall = (...args: unknown[]) => Promise<unknown>;

/** The attributes of a database at `url` (name, host and port; never the user or password). */
export function postgresTarget(url: string): Target {
  const parsed = new URL(url);
  return {
    'db.system.name': 'postgresql',
    'db.system': 'postgresql',
    'db.namespace': decodeURIComponent(parsed.pathname.replace(/^\//, '')) || 'postgres',
    'server.address': parsed.hostname.replace(/^\[|\]$/g, ''),
    'server.port': Number(parsed.port || 5432),
  };
}

/** Spans for the statements run through `pool.query` and through the clients `pool.connect()` lends. */
export function tracePool(pool: pg.Pool, target: Target): void {
  const query = pool.query.bind(pool) as unknown as AnyCall;
  // Callback calls are pg-pool's own (pool.query runs on a client with one): left as they are, so a
  // statement makes one span, started in the caller's context rather than in the pool's queue.
  (pool as unknown as { query: AnyCall }).query = (...args) =>
    typeof args.at(-1) === 'function'
      ? query(...args)
      : traced(textOf(args[0]), target, SpanKind.CLIENT, () => query(...args));
  const connect = pool.connect.bind(pool) as unknown as AnyCall;
  const lent = new WeakSet<object>();
  (pool as unknown as { connect: AnyCall }).connect = (...args) => {
    if (args.length > 0) return connect(...args);
    return connect().then((client) => {
      if (!lent.has(client as object)) {
        lent.add(client as object);
        const clientQuery = (client as { query: AnyCall }).query.bind(client);
        (client as { query: AnyCall }).query = (...queryArgs) =>
          typeof queryArgs.at(-1) === 'function'
            ? clientQuery(...queryArgs)
            : traced(textOf(queryArgs[0]), target, SpanKind.CLIENT, () => clientQuery(...queryArgs));
      }
      return client;
    });
  };
}

/** Spans for PGlite's statements, in and out of transactions (INTERNAL: the database runs in-process). */
export function tracePglite(pglite: PGlite): void {
  const target: Target = { 'db.system.name': 'postgresql', 'db.system': 'postgresql', 'db.namespace': 'pglite' };
  const wrap = (holder: { query: AnyCall; exec: AnyCall }) => {
    const query = holder.query.bind(holder);
    const exec = holder.exec.bind(holder);
    holder.query = (...args) => traced(textOf(args[0]), target, SpanKind.INTERNAL, () => query(...args));
    holder.exec = (...args) => traced(textOf(args[0]), target, SpanKind.INTERNAL, () => exec(...args));
  };
  wrap(pglite as unknown as { query: AnyCall; exec: AnyCall });
  const transaction = pglite.transaction.bind(pglite);
  pglite.transaction = (<T>(callback: (tx: Transaction) => Promise<T>) =>
    transaction((tx) => {
      wrap(tx as unknown as { query: AnyCall; exec: AnyCall });
      return callback(tx);
    })) as PGlite['transaction'];
}
