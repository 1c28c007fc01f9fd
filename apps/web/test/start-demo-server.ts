/**
 * Tavern in dev mode on 127.0.0.1:0 serving the built demo page with the demo's features, as
 * `pnpm start` does, but with a short presence grace so that "went offline" shows up within a test.
 */
import { createLogger, createRealtimeServer, resolveConfig } from '@tavern/server';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { demoFeatures } from '../server/features.js';

export const DIST = fileURLToPath(new URL('../dist', import.meta.url));

export async function startDemoServer(): Promise<{ url: string } & AsyncDisposable> {
  const config = resolveConfig({
    port: 0,
    logLevel: 'silent',
    staticDir: DIST,
    features: { presence: { graceMs: 1_000 } },
  });
  const httpServer = createServer();
  const tavern = await createRealtimeServer(httpServer, { config, logger: createLogger({ level: config.logLevel, nodeId: config.nodeId }), features: demoFeatures() });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const { port } = httpServer.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async [Symbol.asyncDispose]() {
      await tavern.shutdown();
      httpServer.closeAllConnections();
    },
  };
}
