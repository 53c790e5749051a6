import { defineConfig } from 'vite';

// This folder, without node imports so the browser tsconfig can check this file too.
const here = decodeURIComponent(new URL('.', import.meta.url).pathname);

/** The demo game: built into dist/game-demo on its own; a third party that talks to Coinslot over HTTP only. */
export default defineConfig({
  root: here,
  base: '/',
  publicDir: false,
  build: {
    outDir: `${here}../dist/game-demo`,
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    assetsInlineLimit: 0,
  },
  // `npx vite --config game-demo/vite.config.ts` during development: open it with
  // `?api=http://127.0.0.1:4000&gameId=gam_…&publishableKey=pk_…` (and register the dev server's origin
  // on the game), or use `npm start`, which serves the built game on its own site.
});
