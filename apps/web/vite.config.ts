import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `pnpm dev` serves the page with hot reload and forwards the realtime traffic to a Tavern
// server on :3001 (start it with `pnpm start` from the repository root).
const server = process.env['TAVERN_URL'] ?? 'http://localhost:3001';

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: {
      '/socket.io': { target: server, ws: true },
      '/dev/token': { target: server },
    },
  },
  build: { sourcemap: true },
});
