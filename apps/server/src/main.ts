/**
 * The composition root: environment (and `.env`) -> logger -> server -> listen -> signals.
 * `PORT=0` picks a free port; the `listening` log line, written once the port is bound, says
 * which. A bad setting, a port in use or an unknown host stops start-up with one line on
 * stderr (`tavern: <VARIABLE>: <what is wrong>`) and exit code 1, never a stack trace.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRealtimeServer } from './create-realtime-server.js';
import { EnvError, loadDotEnv, loadEnvironment } from './env.js';
import { createLogger, defaultLogFormat } from './platform/logger.js';
import { RedisUnavailableError } from './platform/redis.js';

/** A start-up failure the operator can fix: printed as one line, without a stack. */
class StartupError extends Error {}

async function main(): Promise<void> {
  const dotEnv = loadDotEnv();
  const { config, features, logFormat } = loadEnvironment();
  const format = logFormat ?? defaultLogFormat(config.nodeEnv, process.stdout.isTTY);
  const logger = createLogger({ level: config.logLevel, nodeId: config.nodeId, format });
  if (dotEnv) logger.info({ file: dotEnv.path, variables: dotEnv.names }, 'loaded .env');
  if (config.auth.jwt.kind === 'dev') {
    logger.warn(
      '**** DEV MODE: no JWT configuration, using an ephemeral secret and serving POST /dev/token. Never run this in production. ****',
    );
  }
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));

  const httpServer = createServer();
  const tavern = await createRealtimeServer(httpServer, { config, logger, features });
  await listen(httpServer, config.host, config.port);
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

/**
 * Connections the kernel queues before `accept` (it caps this at `net.core.somaxconn`, 4096 on
 * current Linux). Node's default of 511 overflows in a reconnect storm after a deploy, and
 * every overflowed SYN costs its client a 1 s, then 3 s, retransmission.
 */
const LISTEN_BACKLOG = 4096;

/** Binds the port, or throws a StartupError that names the variable to change. */
function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const [variable, reason] = LISTEN_ERRORS[error.code ?? ''] ?? ['HOST', error.message];
      reject(new StartupError(`${variable}: cannot listen on ${host}:${port}: ${reason}${error.code ? ` (${error.code})` : ''}`));
    };
    server.once('error', onError);
    server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** What a listen error means, and which variable to change: [variable, reason]. */
const LISTEN_ERRORS: Record<string, [string, string]> = {
  EADDRINUSE: ['PORT', 'the port is in use'],
  EACCES: ['PORT', 'permission denied (ports below 1024 need privileges)'],
  EADDRNOTAVAIL: ['HOST', 'the address is not on this machine'],
  ENOTFOUND: ['HOST', 'the host name does not resolve'],
  EAI_AGAIN: ['HOST', 'the host name could not be resolved (DNS unavailable)'],
  EAI_FAIL: ['HOST', 'the host name could not be resolved'],
};

main().catch((error: unknown) => {
  if (error instanceof EnvError || error instanceof StartupError) {
    process.stderr.write(`tavern: ${error.message}\n`);
  } else if (error instanceof RedisUnavailableError) {
    process.stderr.write(`tavern: REDIS_URL: ${error.message} and REDIS_REQUIRED is true (unset it to start degraded and recover when Redis answers)\n`);
  } else {
    // Not a setting the operator got wrong: a bug, shown with its stack.
    process.stderr.write(`tavern: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(1);
});
