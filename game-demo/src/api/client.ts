// A small typed GraphQL client over fetch: queries and mutations as JSON, subscriptions over SSE.
import { print } from '@0no-co/graphql.web';
import type { TadaDocumentNode } from 'gql.tada';
import { GraphQLRequestError, NetworkError } from './errors.js';
import { readEventStream } from './sse.js';

export interface ClientOptions {
  /** Absolute or same-origin URL of Coinslot's GraphQL endpoint. */
  readonly endpoint: string;
  /** The credential sent as a bearer token: the game token when connected, else the publishable key. */
  readonly credential: () => string | null;
  /** Abort a request that takes longer than this (ms). */
  readonly timeoutMs?: number;
}

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: {
    message: string;
    extensions?: { code?: string; retryable?: boolean; retryAfterSeconds?: number | null };
  }[];
}

export interface Subscription {
  close(): void;
}

export interface SubscribeHandlers<R> {
  next(data: R): void;
  /** The stream failed or was refused; the caller falls back to polling. */
  error(error: Error): void;
  /** The server ended the stream. */
  complete(): void;
}

export type Client = ReturnType<typeof createClient>;

/** Creates the client; every call reads the current credential, so connecting mid-game takes effect at once. */
export function createClient(options: ClientOptions) {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const sources = new WeakMap<object, string>();
  const source = (document: object): string => {
    let text = sources.get(document);
    if (!text) {
      text = print(document as Parameters<typeof print>[0]);
      sources.set(document, text);
    }
    return text;
  };
  const headers = (accept: string): Headers => {
    const h = new Headers({ 'content-type': 'application/json', accept });
    const credential = options.credential();
    if (credential) h.set('authorization', `Bearer ${credential}`);
    return h;
  };

  /** Runs a query or mutation and returns its data, or throws NetworkError / GraphQLRequestError. */
  async function request<R, V>(document: TadaDocumentNode<R, V>, variables: V, signal?: AbortSignal): Promise<R> {
    const timeout = AbortSignal.timeout(timeoutMs);
    let response: Response;
    try {
      response = await fetch(options.endpoint, {
        method: 'POST',
        headers: headers('application/graphql-response+json, application/json'),
        body: JSON.stringify({ query: source(document), variables }),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (cause) {
      if (signal?.aborted) throw cause;
      throw new NetworkError(undefined, { cause });
    }
    let body: GraphQLResponse<R>;
    try {
      body = (await response.json()) as GraphQLResponse<R>;
    } catch (cause) {
      throw response.status >= 500 || response.status === 0
        ? new NetworkError(`Coinslot answered ${response.status}. Try again.`, { cause })
        : new GraphQLRequestError(`Unexpected answer (${response.status}).`, null, response.status, false, null);
    }
    const first = body.errors?.[0];
    if (first) {
      const ext = first.extensions ?? {};
      throw new GraphQLRequestError(
        first.message,
        ext.code ?? null,
        response.status,
        ext.retryable ?? false,
        ext.retryAfterSeconds ?? null,
      );
    }
    if (body.data == null)
      throw new GraphQLRequestError('Empty answer from Coinslot.', null, response.status, false, null);
    return body.data;
  }

  /** Opens a subscription over SSE (graphql-yoga: POST with Accept: text/event-stream). */
  function subscribe<R, V>(
    document: TadaDocumentNode<R, V>,
    variables: V,
    handlers: SubscribeHandlers<R>,
  ): Subscription {
    const controller = new AbortController();
    let closed = false;
    void (async () => {
      try {
        const response = await fetch(options.endpoint, {
          method: 'POST',
          headers: headers('text/event-stream'),
          body: JSON.stringify({ query: source(document), variables }),
          signal: controller.signal,
        });
        if (!response.ok || !response.body || !response.headers.get('content-type')?.includes('text/event-stream')) {
          throw new NetworkError(`Live updates unavailable (${response.status}).`);
        }
        for await (const event of readEventStream(response.body)) {
          if (event.event === 'complete') break;
          if (event.event !== 'next' && event.event !== 'message') continue;
          const payload = JSON.parse(event.data) as GraphQLResponse<R>;
          const first = payload.errors?.[0];
          if (first) throw new GraphQLRequestError(first.message, first.extensions?.code ?? null, 200, false, null);
          if (payload.data) handlers.next(payload.data);
        }
        if (!closed) handlers.complete();
      } catch (error) {
        if (!closed) handlers.error(error instanceof Error ? error : new Error(String(error)));
      }
    })();
    return {
      close() {
        closed = true;
        controller.abort();
      },
    };
  }

  return { request, subscribe };
}
