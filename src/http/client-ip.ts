/**
 * The caller's address for rate limits and fraud rules: the socket peer, or behind a trusted proxy
 * (API_RATE_LIMIT_TRUST_PROXY) the last X-Forwarded-For entry, the only one that proxy vouches for.
 */
export function clientIp(request: Request, peer: string | null | undefined, trustProxy: boolean): string | null {
  if (trustProxy) {
    const forwarded = request.headers.get('x-forwarded-for')?.split(',').pop()?.trim();
    if (forwarded) return forwarded.slice(0, 64);
  }
  return peer?.slice(0, 64) || null;
}
