// Security headers of Coinslot's own pages (the web front and the OAuth error page).

export interface PageHeaderOptions {
  /**
   * Sources that may frame the page (`'self'` and a game's registered origins, for the pages of that
   * game); empty: no one, not even Coinslot itself, so the page cannot be click-jacked.
   */
  readonly frameAncestors: readonly string[];
  /** The error page carries its few styles inline. */
  readonly inlineStyle?: boolean;
}

/** Headers of an HTML page: a strict CSP with `frame-ancestors` as asked, no sniffing, no caching. */
export function htmlHeaders(options: PageHeaderOptions): Record<string, string> {
  const ancestors = options.frameAncestors.length > 0 ? options.frameAncestors.join(' ') : "'none'";
  const csp = [
    "default-src 'self'",
    "script-src 'self'",
    `style-src 'self'${options.inlineStyle ? " 'unsafe-inline'" : ''}`,
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "object-src 'none'",
    `frame-ancestors ${ancestors}`,
  ].join('; ');
  return {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': csp,
    // Older browsers without frame-ancestors: X-Frame-Options cannot list origins, so it is sent only
    // when it says the same thing (no one, or Coinslot alone).
    ...(options.frameAncestors.length === 0 ? { 'x-frame-options': 'DENY' } : {}),
    ...(options.frameAncestors.length === 1 && options.frameAncestors[0] === "'self'"
      ? { 'x-frame-options': 'SAMEORIGIN' }
      : {}),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'same-origin',
  };
}
