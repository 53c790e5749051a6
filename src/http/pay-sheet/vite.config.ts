import { defineConfig } from 'vite';

// This folder; the built sheet goes beside the demo game so one static root serves both.
const here = decodeURIComponent(new URL('.', import.meta.url).pathname);

/** Coinslot's pay sheet: built into game-demo/dist/pay and served by Coinslot at `/pay/*`. */
export default defineConfig({
  root: here,
  base: '/pay/',
  publicDir: false,
  build: {
    outDir: `${here}../../../game-demo/dist/pay`,
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
  },
});
