import { defineConfig } from 'tsup';

// Three programs: the orchestrator, the load-generator worker and the raw Socket.IO server;
// and the probe the seeds scenario preloads into both servers.
export default defineConfig({
  entry: { cli: 'src/cli.ts', worker: 'src/load/worker.ts', 'raw-server': 'src/processes/raw-server.ts', probe: 'src/processes/probe.ts' },
  format: ['esm'],
  clean: true,
  sourcemap: true,
  target: 'node20',
});
