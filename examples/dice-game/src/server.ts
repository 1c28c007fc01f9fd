/**
 * The game's server: Tavern's built-in features plus dice (and the AsyncAPI route), configured
 * from the environment like Tavern's own server: PORT, HOST, LOG_LEVEL, REDIS_URL, JWT_SECRET
 * (or JWT_PUBLIC_KEY, JWKS_URL); without a JWT setting it runs in dev mode and serves
 * `POST /dev/token`.
 *
 *   node dist/server.js [port]     a port of 0 picks a free one; the first line says which
 */
import { builtInFeatures, createLogger, createRealtimeServer, EnvError, loadConfig } from '@tavern/server';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { diceFeature } from './dice.feature.js';
import { docsFeature } from './docs.feature.js';

const features = [...builtInFeatures, diceFeature, docsFeature];
const [port] = process.argv.slice(2);

let config;
try {
  config = loadConfig({ ...process.env, ...(port !== undefined && { PORT: port }) }, features);
} catch (error) {
  if (!(error instanceof EnvError)) throw error;
  process.stderr.write(`dice game: ${error.message}\n`);
  process.exit(1);
}

const logger = createLogger({ level: config.logLevel, nodeId: config.nodeId });
const httpServer = createServer();
const tavern = await createRealtimeServer(httpServer, { config, logger, features });
await new Promise<void>((resolve, reject) => {
  httpServer.once('error', reject);
  httpServer.listen(config.port, config.host, resolve);
});
const { port: bound } = httpServer.address() as AddressInfo;
const auth = config.auth.jwt.kind === 'dev' ? 'dev mode: tokens from POST /dev/token' : 'tokens signed with your JWT configuration';
process.stdout.write(`dice game listening on http://${config.host}:${bound} (${auth})\n`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    tavern.shutdown().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
