import { defineConfig } from 'tsup';

// Three programs: the orchestrator, the load-generator worker and the raw Socket.IO server.
export default defineConfig({
  entry: { cli: 'src/cli.ts', worker: 'src/load/worker.ts', 'raw-server': 'src/processes/raw-server.ts' },
  format: ['esm'],
  clean: true,
  sourcemap: true,
  target: 'node20',
});
