import { defineConfig } from 'tsup';

// The programs: the orchestrator, the load-generator workers (chat and zones; game rooms) and
// the servers the bench owns (raw Socket.IO, Tavern with the bench's room type, Colyseus);
// and the probe the seeds scenario preloads into both chat servers.
export default defineConfig({
  entry: {
    cli: 'src/cli.ts',
    worker: 'src/load/worker.ts',
    'rooms-worker': 'src/load/rooms-worker.ts',
    'raw-server': 'src/processes/raw-server.ts',
    'tavern-rooms-server': 'src/processes/tavern-rooms-server.ts',
    'colyseus-server': 'src/processes/colyseus-server.ts',
    probe: 'src/processes/probe.ts',
  },
  format: ['esm'],
  clean: true,
  sourcemap: true,
  target: 'node20',
});
