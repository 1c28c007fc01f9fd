/**
 * Graceful shutdown: refuse new handshakes (the caller flips its flag first), tell every
 * client `server:shutdown` with a jittered `reconnectAfterMs` so a fleet does not reconnect
 * at once, stop features in reverse order, end every session (`session:ended`
 * `SERVER_SHUTDOWN`) a batch of sockets at a time, wait for running handlers and for what
 * every close started, then close the shared parts. Bounded by `config.shutdown.timeoutMs`.
 */
import type { Config } from '../config.js';
import type { ComposedFeature } from '../features/compose.js';
import type { Logger } from '../platform/logger.js';
import type { ConnectionLifecycle } from './connection-lifecycle.js';
import type { Dispatcher } from '../transport/dispatcher.js';
import type { TavernServer } from '../transport/socket-types.js';

export interface DrainDeps {
  io: TavernServer;
  config: Config;
  logger: Logger;
  features: readonly ComposedFeature[];
  dispatcher: Dispatcher;
  lifecycle: ConnectionLifecycle;
  /** Closes what the features used (registry, Redis), after the sockets are gone. */
  closeShared: () => Promise<void>;
}

/** How long the drain waits for the last packets to reach the clients. */
const FLUSH_WAIT_MS = 1_000;

/**
 * Sockets ended per step of the drain. What their closes start (the registry's removal, every
 * `onDisconnect`'s store writes) settles before the next step: with Redis, 10,000 closes at
 * once would queue some 90,000 commands, the last of them past their deadline (left undone:
 * members listed in channels they left), and the loop would hold the event loop for seconds.
 */
const DISCONNECT_BATCH = 500;

function settleWithin(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work.then(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
      timer.unref();
    }),
  ]).finally(() => clearTimeout(timer));
}

async function drain({ io, config, logger, features, dispatcher, lifecycle, closeShared }: DrainDeps): Promise<void> {
  const { reconnectAfterMs, reconnectJitterMs } = config.shutdown;
  const local = [...io.of('/').sockets.values()];
  for (const socket of local) {
    socket.emit('server:shutdown', { reconnectAfterMs: reconnectAfterMs + Math.floor(Math.random() * reconnectJitterMs) });
  }
  for (const feature of [...features].reverse()) {
    try {
      await feature.parts.stop?.();
    } catch (error) {
      logger.error({ err: error, feature: feature.name }, 'feature failed to stop');
    }
  }
  const closed: Promise<void>[] = [];
  for (let start = 0; start < local.length; start += DISCONNECT_BATCH) {
    for (const socket of local.slice(start, start + DISCONNECT_BATCH)) {
      if (!socket.connected) continue;
      closed.push(new Promise((resolve) => socket.conn.once('close', () => resolve())));
      socket.emit('session:ended', { reason: 'SERVER_SHUTDOWN', message: 'this node is shutting down; reconnect after server:shutdown.reconnectAfterMs' });
      socket.disconnect(true);
    }
    await lifecycle.closesSettled();
  }
  // Engine.IO closes a connection once what is queued on it is written; closing the server
  // before that would cut `session:ended` off. A client that does not read is not waited for.
  await settleWithin(Promise.all(closed), FLUSH_WAIT_MS);
  // Handlers still running (a message being stored) finish and broadcast before Redis
  // closes: an accepted message is never stored without reaching the other nodes.
  await dispatcher.idle();
  // Clients that left on their own during the drain: their closes' writes too.
  await lifecycle.closesSettled();
  await closeShared();
}

/** Runs the drain, or gives up on what is left once the timeout passes. */
export async function shutDown(deps: DrainDeps): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      deps.logger.warn('shutdown timed out; closing what is left');
      resolve();
    }, deps.config.shutdown.timeoutMs);
  });
  await Promise.race([drain(deps), deadline]);
  clearTimeout(timer);
  deps.logger.info('tavern server stopped');
}
