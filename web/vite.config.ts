import { defineConfig } from 'vite';

// This folder, without node imports so the browser tsconfig can check this file too.
const here = decodeURIComponent(new URL('.', import.meta.url).pathname);

/**
 * Coinslot's own web front (connect/consent, pay sheet, account): built into dist/web and served by
 * Coinslot on its own origin (`/pay/*`, `/account`, `/oauth/authorize`), its assets under `/assets/`.
 */
export default defineConfig({
  root: here,
  base: '/',
  publicDir: false,
  build: {
    outDir: `${here}../dist/web`,
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
  },
});
