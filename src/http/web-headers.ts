// Security headers of Coinslot's own pages (the web front and the OAuth error page).

export interface PageHeaderOptions {
  /**
   * Origins that may frame the page (a game's registered origins, for the pay sheet of its purchase);
   * empty: no one, not even Coinslot itself, so the page cannot be click-jacked.
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
    // Older browsers without frame-ancestors: DENY when no one may frame (X-Frame-Options cannot list origins).
    ...(options.frameAncestors.length === 0 ? { 'x-frame-options': 'DENY' } : {}),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'same-origin',
  };
}
