/** A request that never got a GraphQL answer (offline, DNS, reset): safe to retry with the same idempotency key. */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';
  constructor(message = 'Could not reach Coinslot. Check your connection.', options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A GraphQL answer with top-level errors (auth, validation, masked server errors). */
export class GraphQLRequestError extends Error {
  override readonly name = 'GraphQLRequestError';
  constructor(
    message: string,
    /** `extensions.code` of the first error, e.g. UNAUTHENTICATED. */
    readonly code: string | null,
    readonly status: number,
    readonly retryable: boolean,
    readonly retryAfterSeconds: number | null,
  ) {
    super(message);
  }

  get unauthenticated(): boolean {
    return this.code === 'UNAUTHENTICATED' || this.status === 401;
  }
}
