import { defineConfig } from 'vite';

// This folder, without node imports (like the other vite configs).
const here = decodeURIComponent(new URL('.', import.meta.url).pathname);

/** coinslot.js: the browser SDK as one ES module in dist/sdk, served by Coinslot at /sdk/coinslot.js. */
export default defineConfig({
  root: here,
  publicDir: false,
  build: {
    outDir: `${here}../../dist/sdk`,
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    minify: false,
    lib: { entry: `${here}coinslot.ts`, formats: ['es'], fileName: () => 'coinslot.js' },
  },
});
