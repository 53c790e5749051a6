// The pay sheet's GraphQL client: JSON over fetch with the player's session token.
import { print } from '@0no-co/graphql.web';
import type { TadaDocumentNode } from 'gql.tada';
import { session } from './session.js';

/** No answer from Coinslot (offline, timeout): the same request may be retried with the same key. */
export class OfflineError extends Error {
  override readonly name = 'OfflineError';
}

/** Top-level GraphQL errors (auth, masked failures). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    message: string,
    readonly code: string | null,
  ) {
    super(message);
  }
  get unauthenticated(): boolean {
    return this.code === 'UNAUTHENTICATED';
  }
}

const printed = new WeakMap<object, string>();

/** Runs a query or mutation against /graphql as the signed-in player (if any). */
export async function request<R, V>(document: TadaDocumentNode<R, V>, variables: V): Promise<R> {
  let query = printed.get(document);
  if (!query) {
    query = print(document as Parameters<typeof print>[0]);
    printed.set(document, query);
  }
  const headers = new Headers({
    'content-type': 'application/json',
    accept: 'application/graphql-response+json, application/json',
  });
  const token = session.token();
  if (token) headers.set('authorization', `Bearer ${token}`);
  let response: Response;
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      headers,
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(20_000),
    });
  } catch {
    throw new OfflineError('Could not reach Coinslot. Check your connection and try again.');
  }
  let body: { data?: R | null; errors?: { message: string; extensions?: { code?: string } }[] };
  try {
    body = (await response.json()) as typeof body;
  } catch {
    throw response.status >= 500
      ? new OfflineError(`Coinslot answered ${response.status}. Try again.`)
      : new ApiError(`Unexpected answer (${response.status}).`, null);
  }
  const first = body.errors?.[0];
  if (first) throw new ApiError(first.message, first.extensions?.code ?? null);
  if (body.data == null) throw new ApiError('Empty answer from Coinslot.', null);
  return body.data;
}
