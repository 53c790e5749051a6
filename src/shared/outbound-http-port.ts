/**
 * The one way Coinslot calls a URL a developer supplied (webhooks, test deliveries). The adapter
 * (src/adapters/http/outbound-http.ts) resolves the host itself and refuses internal destinations
 * at connect time, follows no redirect and bounds time and size, so a developer cannot make
 * Coinslot read its own network (SSRF) nor use it as a port scanner.
 */

export interface OutboundRequest {
  readonly method: 'POST';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** The whole exchange, from DNS to the last byte read. */
  readonly timeoutMs: number;
  /** At most this many bytes of the answer are read; the rest is dropped unread. */
  readonly maxResponseBytes: number;
  /** Cancels the request (e.g. a shutdown). */
  readonly signal?: AbortSignal;
}

export type OutboundResult =
  /** The destination answered (any status; redirects are answers, never followed). */
  | { readonly kind: 'response'; readonly status: number; readonly body: string }
  /** The destination is not allowed (internal address, metadata host, bad scheme): nothing was sent. */
  | { readonly kind: 'refused' }
  /**
   * No answer: DNS failure, connection refused or reset, TLS failure or timeout look alike on
   * purpose, so that the result says nothing about what listens where.
   */
  | { readonly kind: 'no_response' };

export interface OutboundHttp {
  /** Whether private and loopback destinations are allowed (WEBHOOK_ALLOW_PRIVATE_NETWORK). */
  readonly allowsPrivateNetwork: boolean;
  /**
   * Why a URL can never be called, judged from the URL alone (scheme, literal address, metadata
   * host); null when it may be (its DNS answer is still checked when it is called).
   */
  refusal(url: string): string | null;
  send(request: OutboundRequest): Promise<OutboundResult>;
  close(): Promise<void>;
}

/** What a refused delivery records: no detail about the destination. */
export const DESTINATION_NOT_ALLOWED = 'destination not allowed';
/** What a delivery without an answer records, whatever the cause. */
export const NO_RESPONSE = 'no response';
