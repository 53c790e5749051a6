import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json',
};

export interface StaticOptions {
  /**
   * A path that is not a file falls back to the index.html of its nearest folder that has one (an app
   * that routes by path, such as /pay/<purchaseId>); without it such a path is not found.
   */
  readonly fallbackToIndex?: boolean;
}

/** Serves the files under `root` (a vite build output). */
export function staticFiles(root: string, options: StaticOptions = {}): (pathname: string) => Promise<Response | null> {
  const base = normalize(root + sep);
  return async (pathname) => {
    const relative = decodeURIComponent(pathname).replace(/^\/+/, '') || 'index.html';
    const path = normalize(join(base, relative));
    if (!path.startsWith(base)) return null;
    const file = (await isFile(path)) ? path : options.fallbackToIndex ? await nearestIndex(base, relative) : null;
    if (!file) return null;
    const body = await readFile(file);
    const immutable = file.includes(`${sep}assets${sep}`);
    return new Response(body, {
      headers: {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
        // The pay sheet may be framed by the game on the same origin, never by another site.
        'x-frame-options': 'SAMEORIGIN',
        'content-security-policy': "frame-ancestors 'self'",
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'same-origin',
      },
    });
  };
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

async function nearestIndex(base: string, relative: string): Promise<string | null> {
  const parts = relative.split('/').filter(Boolean);
  for (let depth = parts.length; depth >= 0; depth--) {
    const candidate = join(base, ...parts.slice(0, depth), 'index.html');
    if (candidate.startsWith(base) && (await isFile(candidate))) return candidate;
  }
  return null;
}
