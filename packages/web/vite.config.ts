import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [preact()],
  // Assets are served from the collector's root; hashed names let them be cached forever.
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // Fleet page code and uPlot (host charts) load separately, so the first page stays small.
    modulePreload: { polyfill: false },
    // Rolldown hashes module paths relative to its cwd: pin it to this package so a build from
    // the repo root and one from here name the same bytes the same.
    rolldownOptions: { cwd: fileURLToPath(new URL('.', import.meta.url)) },
  },
});
