// GraphiQL, served by Coinslot itself (GRAPHIQL=true): no CDN, no inline script, and a page that
// cannot reach the player session.
//
// The assets are GraphQL Yoga's own GraphiQL build from the @graphql-yoga/render-graphiql package
// (the bundle, its stylesheet and Monaco's three workers), served from memory under /graphiql/.
//
// The page (GET /graphql, Accept: text/html) carries `Content-Security-Policy: sandbox allow-scripts
// …` without `allow-same-origin`: the browser gives it an opaque origin, so nothing on it — GraphiQL,
// a crafted query, a hostile schema description — can read Coinslot's localStorage (where the web
// front keeps the player session), its cookies or another Coinslot window. Its requests to /graphql
// are cross-origin (`Origin: null`), which CORS allows while GraphiQL is on (no credentials: a page
// reads only what the bearer token it was given allows). Storage GraphiQL wants (tabs, history) is
// kept in memory on the page, for the tab's life.
import { createHash } from 'node:crypto';

/** Where the assets live; the page, on GET /graphql, loads them from here. */
export const GRAPHIQL_ASSETS = '/graphiql/';

interface Asset {
  readonly body: string;
  readonly type: string;
  readonly etag: string;
}

/** Runs first: storage for an opaque origin, Monaco's workers as blob URLs (a worker must be same-origin). */
const BOOT = `(() => {
  'use strict';
  const memory = () => {
    const items = new Map();
    return {
      get length() { return items.size; },
      key: (i) => [...items.keys()][i] ?? null,
      getItem: (k) => (items.has(String(k)) ? items.get(String(k)) : null),
      setItem: (k, v) => { items.set(String(k), String(v)); },
      removeItem: (k) => { items.delete(String(k)); },
      clear: () => { items.clear(); },
    };
  };
  for (const name of ['localStorage', 'sessionStorage']) {
    try { void window[name].length; } catch { Object.defineProperty(window, name, { value: memory(), configurable: true }); }
  }
  const base = document.currentScript.src.replace(/boot\\.js$/, '');
  const names = { editorWorkerService: 'editor', json: 'json', graphql: 'graphql' };
  const workers = {};
  window.__coinslotGraphiQLWorkers = Promise.all(Object.entries(names).map(async ([label, file]) => {
    const response = await fetch(base + 'worker/' + file + '.js');
    const blob = new Blob([await response.text()], { type: 'application/javascript' });
    workers[label] = URL.createObjectURL(blob);
  }));
  self.MonacoEnvironment = { globalAPI: false, getWorkerUrl: (_moduleId, label) => workers[label] };
})();
`;

/** Runs last: renders GraphiQL with the options the page carries as JSON. */
const START = `(() => {
  'use strict';
  const options = JSON.parse(document.getElementById('graphiql-options').textContent);
  window.__coinslotGraphiQLWorkers.finally(() => {
    YogaGraphiQL.renderYogaGraphiQL(document.getElementById('root'), options);
  });
})();
`;

const asset = (body: string, type: string): Asset => ({
  body,
  type,
  etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
});

let assets: Map<string, Asset> | null = null;

/** The assets by file name, loaded once (about 9 MB of JavaScript, only when GraphiQL is on). */
async function loadAssets(): Promise<Map<string, Asset>> {
  if (assets) return assets;
  const bundle = await import('@graphql-yoga/render-graphiql/graphiql');
  const js = 'text/javascript; charset=utf-8';
  assets = new Map([
    ['boot.js', asset(BOOT, js)],
    ['graphiql.js', asset(bundle.js, js)],
    ['start.js', asset(START, js)],
    ['graphiql.css', asset(bundle.css, 'text/css; charset=utf-8')],
    ['worker/editor.js', asset(bundle.editorWorkerService, js)],
    ['worker/json.js', asset(bundle.jsonWorker, js)],
    ['worker/graphql.js', asset(bundle.graphqlWorker, js)],
  ]);
  return assets;
}

/** Escapes JSON for a `<script type="application/json">` element (no `</script>`, no `<!--`). */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

/** The page's policy: sandboxed (opaque origin), scripts and styles from Coinslot's /graphiql/ only. */
export function graphiqlPolicy(origin: string): string {
  const assetsUrl = `${origin}${GRAPHIQL_ASSETS}`;
  return [
    // no allow-same-origin: the page gets an opaque origin, away from the player session
    'sandbox allow-scripts allow-forms allow-popups allow-popups-to-escape-sandbox allow-modals allow-downloads',
    "default-src 'none'",
    `script-src ${assetsUrl}`,
    // Monaco and GraphiQL set element styles at run time
    `style-src ${assetsUrl} 'unsafe-inline'`,
    'img-src data:',
    'font-src data:',
    `connect-src ${origin}/graphql ${assetsUrl}`,
    'worker-src blob:',
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** GET /graphql for a browser: the GraphiQL page, sandboxed. */
export function graphiqlPage(request: Request, options: { readonly title: string }): Response {
  const origin = new URL(request.url).origin;
  const escapeHtml = (text: string) => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const body = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${escapeHtml(options.title)}</title>
    <link rel="stylesheet" href="${GRAPHIQL_ASSETS}graphiql.css" />
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>GraphiQL needs JavaScript.</noscript>
    <div id="root"></div>
    <script type="application/json" id="graphiql-options">${scriptJson({ endpoint: '/graphql', title: options.title })}</script>
    <script src="${GRAPHIQL_ASSETS}boot.js"></script>
    <script src="${GRAPHIQL_ASSETS}graphiql.js"></script>
    <script src="${GRAPHIQL_ASSETS}start.js"></script>
  </body>
</html>
`;
  return new Response(body, {
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': graphiqlPolicy(origin),
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    },
  });
}

/** GET /graphiql/<file>: an asset, or null when there is no such file. */
export async function graphiqlAsset(request: Request, file: string): Promise<Response | null> {
  const found = (await loadAssets()).get(file);
  if (!found) return null;
  const headers = {
    'content-type': found.type,
    etag: found.etag,
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    // The sandboxed page has an opaque origin: its fetches of the workers are cross-origin.
    'access-control-allow-origin': '*',
    'cross-origin-resource-policy': 'cross-origin',
  };
  if (request.headers.get('if-none-match') === found.etag) return new Response(null, { status: 304, headers });
  return new Response(found.body, { headers });
}

/** Whether a GET /graphql asks for the page (a browser) rather than a query. */
export function wantsGraphiQL(request: Request): boolean {
  return request.method === 'GET' && (request.headers.get('accept') ?? '').includes('text/html');
}
