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

/** Serves files under `root` (the built demo game); unknown paths fall back to index.html. */
export function staticFiles(root: string): (pathname: string) => Promise<Response | null> {
  const base = normalize(root + sep);
  return async (pathname) => {
    const relative = decodeURIComponent(pathname).replace(/^\/+/, '') || 'index.html';
    const path = normalize(join(base, relative));
    if (!path.startsWith(base)) return null;
    const file = (await isFile(path)) ? path : join(base, 'index.html');
    if (!(await isFile(file))) return null;
    const body = await readFile(file);
    const immutable = file.includes(`${sep}assets${sep}`);
    return new Response(body, {
      headers: {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
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
