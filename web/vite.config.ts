import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Resolved from this file so the build works from any working directory (the repo root runs it).
const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
  },
  server: {
    // `vite --config web/vite.config.ts` against a local `vigil server` keeps cookies same-origin.
    proxy: {
      '/api': { target: process.env.VIGIL_URL ?? 'http://localhost:4600', changeOrigin: false },
    },
  },
});
