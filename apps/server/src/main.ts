/**
 * The composition root: environment -> logger -> server -> listen -> signals.
 * `PORT=0` picks a free port; the `listening` log line says which.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRealtimeServer } from './create-realtime-server.js';
import { EnvError, loadEnvironment } from './env.js';
import { createLogger } from './platform/logger.js';

async function main(): Promise<void> {
  let environment;
  try {
    environment = loadEnvironment();
  } catch (error) {
    if (error instanceof EnvError) {
      process.stderr.write(`tavern: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const { config, features } = environment;
  const logger = createLogger({ level: config.logLevel, nodeId: config.nodeId });
  if (config.auth.jwt.kind === 'dev') {
    logger.warn(
      '**** DEV MODE: no JWT configuration, using an ephemeral secret and serving POST /dev/token. Never run this in production. ****',
    );
  }
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));

  const httpServer = createServer();
  const tavern = await createRealtimeServer(httpServer, { config, logger, features });
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.port, config.host, () => resolve());
  });
  const { port } = httpServer.address() as AddressInfo;
  logger.info({ host: config.host, port, url: `http://${config.host}:${port}` }, 'listening');

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    tavern.shutdown().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`tavern: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
