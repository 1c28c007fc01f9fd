/**
 * The demo's server (`pnpm start`): Tavern with the demo's features, configured from the
 * environment like Tavern's own server (PORT, default 3001, HOST, REDIS_URL, JWT_*, FEATURES,
 * ...; and `apps/server/.env`, as before), serving the built page from STATIC_DIR (default
 * `dist`). Without a JWT setting it runs in dev mode and hands out tokens at
 * `POST /dev/token`, which the page uses.
 */
import { createLogger, createRealtimeServer, EnvError, loadConfig, loadDotEnv } from '@tavern/server';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { demoFeatures } from './features.js';

const DIST = fileURLToPath(new URL('../dist', import.meta.url));
const DOT_ENV = fileURLToPath(new URL('../../server/.env', import.meta.url));

let setup;
try {
  const dotEnv = loadDotEnv(process.env, DOT_ENV);
  let features;
  try {
    features = demoFeatures(process.env['FEATURES'] || undefined);
  } catch (error) {
    throw new EnvError([`FEATURES: ${(error as Error).message}`]);
  }
  setup = { dotEnv, features, config: loadConfig({ STATIC_DIR: DIST, ...process.env }, features) };
} catch (error) {
  if (!(error instanceof EnvError)) throw error;
  process.stderr.write(`tavern demo: ${error.message}\n`);
  process.exit(1);
}
const { config, features, dotEnv } = setup;

const logger = createLogger({ level: config.logLevel, nodeId: config.nodeId });
if (dotEnv) logger.info({ file: dotEnv.path, variables: dotEnv.names }, 'loaded .env');
if (config.auth.jwt.kind === 'dev') logger.warn('dev mode: no JWT configuration, tokens from POST /dev/token. Never run this in production.');
const httpServer = createServer();
const tavern = await createRealtimeServer(httpServer, { config, logger, features });
await new Promise<void>((resolve, reject) => {
  httpServer.once('error', reject);
  httpServer.listen(config.port, config.host, resolve);
});
const { port } = httpServer.address() as AddressInfo;
logger.info({ url: `http://${config.host}:${port}` }, 'Tavern Square is listening');

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
