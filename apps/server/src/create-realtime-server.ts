/**
 * Builds a Tavern server on an HTTP server it is given. It never listens by itself: `main.ts`
 * listens on the configured port, tests on port 0.
 *
 * @example
 * const httpServer = createServer();
 * const tavern = await createRealtimeServer(httpServer, { config: resolveConfig(), logger });
 * httpServer.listen(3001);
 * // later
 * await tavern.shutdown();
 */
import { rooms } from '@tavern/protocol';
import { getRequestListener } from '@hono/node-server';
import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import { createHandshakeMiddleware } from './auth/handshake.js';
import { RevocationService } from './auth/revocation.service.js';
import { MemoryRevocationStore, RedisRevocationStore } from './auth/revocation.store.js';
import { armExpiry, clearExpiry, type ExpiryOptions } from './auth/session-expiry.js';
import { createTokenVerifier, type TokenVerifier } from './auth/token-verifier.js';
import type { Config } from './config.js';
import { ConnectionRegistry } from './connections/connection-registry.js';
import { MemoryConnectionStore, RedisConnectionStore } from './connections/connection.store.js';
import { ServiceRegistry, type Feature, type FeatureContext, type FeatureFactory } from './features/feature.js';
import { builtInFeatures } from './features/index.js';
import { createClusterAdapter, subscriptionBarrier } from './platform/adapter.js';
import { systemClock, type Clock } from './platform/clock.js';
import { createHttpApp, serveStaticDir } from './platform/http.js';
import type { Logger } from './platform/logger.js';
import { createMetrics, type Metrics } from './platform/metrics.js';
import { NodeStatsSampler } from './platform/node-stats.js';
import { RedisConnections } from './platform/redis.js';
import { RealtimeService } from './realtime/realtime.service.js';
import { endSession } from './realtime/session-end.js';
import { RoomService } from './rooms/room.service.js';
import { createDispatcher } from './transport/dispatcher.js';
import { SlowConsumerGuard } from './transport/slow-consumer.js';
import type { TavernServer, TavernSocket } from './transport/socket-types.js';

export interface RealtimeServerOptions {
  config: Config;
  logger: Logger;
  /** @default builtInFeatures */
  features?: readonly FeatureFactory[];
  /** @default systemClock */
  clock?: Clock;
}

export interface RealtimeServer {
  readonly io: TavernServer;
  readonly config: Config;
  readonly metrics: Metrics;
  readonly verifier: TokenVerifier;
  readonly realtime: RealtimeService;
  readonly context: FeatureContext;
  readonly redis: RedisConnections | null;
  /** True from the moment `shutdown` starts. */
  readonly shuttingDown: boolean;
  /** The client events this server handles. */
  readonly events: readonly string[];
  /**
   * Graceful shutdown: refuse new handshakes, tell every client `server:shutdown` (with a
   * jittered `reconnectAfterMs` so a fleet does not reconnect at once), stop features,
   * disconnect, close Redis. Bounded by `config.shutdown.timeoutMs`. Idempotent.
   */
  shutdown(): Promise<void>;
}

export async function createRealtimeServer(httpServer: HttpServer, options: RealtimeServerOptions): Promise<RealtimeServer> {
  const { config, logger } = options;
  const clock = options.clock ?? systemClock;
  const metrics = createMetrics({ nodeId: config.nodeId, collectDefaults: config.nodeEnv !== 'test' });
  const redis = config.redis ? new RedisConnections(config.redis, logger.child({ component: 'redis' }), metrics) : null;
  let shuttingDown = false;

  const verifier = createTokenVerifier(config.auth);
  const app = createHttpApp({
    config,
    metrics,
    verifier,
    logger,
    notReadyReason: () => {
      if (shuttingDown) return 'shutting down';
      if (redis && !redis.healthy) return 'redis unavailable';
      return null;
    },
    beforeScrape: () => {
      const figures = stats.current();
      metrics.users.set(figures.users);
      metrics.rooms.set(figures.rooms);
    },
  });
  // Registered before Socket.IO attaches: Engine.IO answers its own path and hands every
  // other request to the listeners that were there before it.
  httpServer.on('request', getRequestListener(app.fetch));

  const io: TavernServer = new Server(httpServer, {
    serveClient: false,
    allowEIO3: false,
    maxHttpBufferSize: config.limits.maxMessageBytes,
    connectTimeout: config.limits.connectTimeoutMs,
    pingInterval: config.limits.pingIntervalMs,
    pingTimeout: config.limits.pingTimeoutMs,
    cors: config.corsOrigins === '*' ? { origin: true, credentials: true } : { origin: config.corsOrigins, credentials: true },
    allowRequest: (request, callback) => {
      const origin = request.headers.origin;
      // Browsers always send Origin; other clients (game servers, Node) may not.
      const allowed = config.corsOrigins === '*' || origin === undefined || config.corsOrigins.includes(origin);
      callback(allowed ? null : 'origin not allowed', allowed);
    },
    ...(redis && { adapter: createClusterAdapter(redis, metrics) }),
  });

  const connectionStore = redis ? new RedisConnectionStore(redis) : new MemoryConnectionStore();
  const registry = new ConnectionRegistry(connectionStore, io, config, logger.child({ component: 'registry' }), metrics, redis);
  const revocationStore = redis ? new RedisRevocationStore(redis) : new MemoryRevocationStore();
  const revocations = new RevocationService(revocationStore, io, redis !== null, endSession, logger.child({ component: 'revocation' }));
  const realtime = new RealtimeService(io, registry, config, logger);
  const roomService = new RoomService(io, config, metrics, redis ? subscriptionBarrier(redis) : undefined);
  const slowConsumers = new SlowConsumerGuard(
    { maxBytes: config.limits.slowConsumerMaxBytes },
    logger.child({ component: 'slow-consumer' }),
    metrics,
  );
  const expiry: ExpiryOptions = {
    warningMs: config.auth.expiryWarningMs,
    toleranceMs: config.auth.clockToleranceSec * 1000,
    endSession,
  };

  const context: FeatureContext = {
    io,
    config,
    logger,
    metrics,
    clock,
    redis,
    realtime,
    rooms: roomService,
    registry,
    revocations,
    verifier,
    endSession,
    nodeStats: () => stats.current(),
    services: new ServiceRegistry(),
  };
  const features: Feature[] = (options.features ?? builtInFeatures).map((factory) => factory(context));
  const dispatcher = createDispatcher(
    features.flatMap((feature) => feature.handlers ?? []),
    { config, logger, metrics, endSession },
  );
  const stats = new NodeStatsSampler(io, config.nodeId, dispatcher.received);

  for (const feature of features) feature.routes?.(app);
  if (config.staticDir) serveStaticDir(app, config.staticDir);

  io.use(
    createHandshakeMiddleware({
      config,
      verifier,
      revocations,
      registry,
      logger: logger.child({ component: 'handshake' }),
      metrics,
      isShuttingDown: () => shuttingDown,
    }),
  );

  async function runHook(socket: TavernSocket, feature: Feature, hook: 'onConnect' | 'onDisconnect', run: () => void | Promise<void>) {
    try {
      await run();
    } catch (error) {
      metrics.internalErrors.labels(`${feature.name}.${hook}`).inc();
      logger.error({ err: error, socketId: socket.id, feature: feature.name }, `${hook} failed`);
    }
  }

  const connectHooks = features.filter((feature) => feature.onConnect !== undefined);
  // The rooms a closing socket was in: read at `disconnecting` by one listener shared by all
  // sockets, handed to the features' onDisconnect (by `disconnect` the rooms are left).
  const roomsAtClose = new WeakMap<TavernSocket, ReadonlySet<string>>();
  function rememberRooms(this: TavernSocket): void {
    roomsAtClose.set(this, new Set(this.rooms));
  }
  io.on('connection', (socket) => {
    const { user, sessionId } = socket.data;
    metrics.connections.inc();
    slowConsumers.attach(socket);
    socket.onAny(dispatcher.listener);
    socket.on('disconnecting', rememberRooms);
    socket.on('disconnect', (reason) => {
      const joined = roomsAtClose.get(socket) ?? new Set<string>();
      roomsAtClose.delete(socket);
      metrics.connections.dec();
      clearExpiry(socket);
      void registry.unregister(socket);
      connectionStore.saveSession(sessionId, user.userId, config.auth.sessionResumeMs).catch(() => {
        // Without storage the session simply cannot be resumed.
      });
      for (const feature of features) {
        if (feature.onDisconnect) void runHook(socket, feature, 'onDisconnect', () => feature.onDisconnect?.(socket, reason, joined));
      }
    });
    void (async () => {
      await socket.join(rooms.user(user.userId));
      // Independent lookups (party, combat, notifications, presence): concurrently, so that
      // with Redis a handshake waits for the slowest round trip, not for all of them in turn.
      await Promise.all(connectHooks.map((feature) => runHook(socket, feature, 'onConnect', () => feature.onConnect?.(socket))));
      if (!socket.connected) return;
      armExpiry(socket, expiry);
      socket.emit('session:ready', {
        userId: user.userId,
        characterId: user.characterId,
        name: user.name,
        sessionId,
        serverTime: clock.now(),
        expiresAt: socket.data.expiresAt,
        recovered: socket.data.recovered,
      });
    })();
  });

  if (redis) await redis.start();
  await registry.start();
  revocations.start();
  stats.start();
  for (const feature of features) await feature.start?.();
  logger.info({ node: config.nodeId, redis: redis !== null, features: features.map((feature) => feature.name) }, 'tavern server ready');

  let shutdownPromise: Promise<void> | null = null;
  async function drain(): Promise<void> {
    shuttingDown = true;
    const { reconnectAfterMs, reconnectJitterMs } = config.shutdown;
    const local = [...io.of('/').sockets.values()];
    for (const socket of local) {
      socket.emit('server:shutdown', { reconnectAfterMs: reconnectAfterMs + Math.floor(Math.random() * reconnectJitterMs) });
    }
    for (const feature of [...features].reverse()) {
      try {
        await feature.stop?.();
      } catch (error) {
        logger.error({ err: error, feature: feature.name }, 'feature failed to stop');
      }
    }
    for (const socket of local) socket.disconnect(true);
    // Handlers still running (a message being stored) finish and broadcast before Redis
    // closes: an accepted message is never stored without reaching the other nodes.
    await dispatcher.idle();
    revocations.stop();
    stats.stop();
    await registry.stop();
    await new Promise<void>((resolve) => {
      void io.close(() => resolve());
    });
    if (redis) await redis.close();
  }

  return {
    io,
    config,
    metrics,
    verifier,
    realtime,
    context,
    redis,
    events: dispatcher.events,
    get shuttingDown() {
      return shuttingDown;
    },
    shutdown() {
      shutdownPromise ??= (async () => {
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            logger.warn('shutdown timed out; closing what is left');
            resolve();
          }, config.shutdown.timeoutMs);
        });
        await Promise.race([drain(), deadline]);
        clearTimeout(timer);
        logger.info('tavern server stopped');
      })();
      return shutdownPromise;
    },
  };
}
