import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// `npm run build:web` -> web/dist, served by `vlm serve`. In development, `npx vite web` proxies the API to a running server.
const root = fileURLToPath(new URL('.', import.meta.url));
export default defineConfig({
  root,
  base: '/',
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: false },
  server: { proxy: { '/v1': 'http://127.0.0.1:8080', '/docs': 'http://127.0.0.1:8080' } },
});
