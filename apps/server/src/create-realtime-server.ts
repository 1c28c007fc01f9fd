/**
 * Builds a Tavern server on an HTTP server it is given, from the features it is given. It
 * never listens by itself: `main.ts` listens on the configured port, tests on port 0. This
 * file is wiring only: the connection lifecycle, the features' composition and the shutdown
 * drain live in their own modules.
 *
 * @example
 * const httpServer = createServer();
 * const tavern = await createRealtimeServer(httpServer, { config: resolveConfig(), logger, features: [...builtInFeatures, diceFeature] });
 * httpServer.listen(3001);
 * // later
 * await tavern.shutdown();
 */
import { asyncApiDocument, type AsyncApiDocument, type Contract } from '@tavern/protocol';
import { getRequestListener } from '@hono/node-server';
import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import { createHandshakeLimiter, createHandshakeMiddleware } from './auth/handshake.js';
import { RevocationService } from './auth/revocation.service.js';
import { MemoryRevocationStore, RedisRevocationStore } from './auth/revocation.store.js';
import type { ExpiryOptions } from './auth/session-expiry.js';
import { createTokenVerifier, type TokenVerifier } from './auth/token-verifier.js';
import type { Config } from './config.js';
import { ConnectionRegistry } from './connections/connection-registry.js';
import { MemoryConnectionStore, RedisConnectionStore } from './connections/connection.store.js';
import { composeFeatures, contractOf } from './features/compose.js';
import { ServiceRegistry, type AnyFeature, type FeatureContext } from './features/feature.js';
import { builtInFeatures } from './features/index.js';
import { createExtensionHooks, type TavernHooks } from './hooks/hooks.js';
import { attachConnectionLifecycle } from './lifecycle/connection-lifecycle.js';
import { shutDown } from './lifecycle/shutdown.js';
import { createClusterAdapter, subscriptionBarrier } from './platform/adapter.js';
import { systemClock, type Clock } from './platform/clock.js';
import { createHttpApp, serveStaticDir } from './platform/http.js';
import type { Logger } from './platform/logger.js';
import { createMetrics, type Metrics } from './platform/metrics.js';
import { NodeStatsSampler } from './platform/node-stats.js';
import { RedisConnections } from './platform/redis.js';
import { createTracing } from './platform/tracing.js';
import { RealtimeService } from './realtime/realtime.service.js';
import { endSession } from './realtime/session-end.js';
import { RoomService } from './rooms/room.service.js';
import { createDispatcher } from './transport/dispatcher.js';
import { createEngineAdmission } from './transport/engine-admission.js';
import { SlowConsumerGuard } from './transport/slow-consumer.js';
import type { TavernServer } from './transport/socket-types.js';

export interface RealtimeServerOptions {
  config: Config;
  logger: Logger;
  /** What the server runs; its contract is their slices. @default builtInFeatures */
  features?: readonly AnyFeature[];
  /**
   * The studio's rules in process: connect, chat message, command audit. An in-process hook
   * wins over its HTTP twin in `config.hooks`.
   */
  hooks?: TavernHooks;
  /** @default systemClock */
  clock?: Clock;
}

export interface RealtimeServer {
  readonly io: TavernServer;
  readonly config: Config;
  readonly metrics: Metrics;
  readonly verifier: TokenVerifier;
  readonly realtime: RealtimeService;
  /** The contract this server serves: its features' slices. */
  readonly contract: Contract;
  readonly context: Omit<FeatureContext, 'name' | 'settings' | 'logger' | 'emitTo' | 'broadcast'>;
  readonly redis: RedisConnections | null;
  /** True from the moment `shutdown` starts. */
  readonly shuttingDown: boolean;
  /** The client events this server handles. */
  readonly events: readonly string[];
  /** Graceful shutdown (see `lifecycle/shutdown.ts`). Idempotent. */
  shutdown(): Promise<void>;
}

export async function createRealtimeServer(httpServer: HttpServer, options: RealtimeServerOptions): Promise<RealtimeServer> {
  const { config, logger } = options;
  const features = options.features ?? builtInFeatures;
  const contract = contractOf(features);
  const clock = options.clock ?? systemClock;
  const metrics = createMetrics({ nodeId: config.nodeId, collectDefaults: config.nodeEnv !== 'test' });
  // Null unless an OTLP endpoint is configured; then spans per event and per Redis operation.
  const tracing = await createTracing(config.tracing, config.nodeId, logger.child({ component: 'tracing' }));
  const redis = config.redis ? new RedisConnections(config.redis, logger.child({ component: 'redis' }), metrics, tracing) : null;
  let shuttingDown = false;

  const verifier = createTokenVerifier(config.auth);
  const app = createHttpApp({
    nodeId: config.nodeId,
    metrics,
    signDevToken: config.auth.jwt.kind === 'dev' ? verifier.sign : null,
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

  const admission = createEngineAdmission(config, metrics);
  const io: TavernServer = new Server(httpServer, {
    serveClient: false,
    allowEIO3: false,
    maxHttpBufferSize: config.limits.maxMessageBytes,
    // A backstop: the admission closes a session that has not connected by connectTimeoutMs
    // itself, at once (Socket.IO's own close leaves a polling session open 30 s more).
    connectTimeout: config.limits.connectTimeoutMs * 2,
    pingInterval: config.limits.pingIntervalMs,
    pingTimeout: config.limits.pingTimeoutMs,
    cors: config.corsOrigins === '*' ? { origin: true, credentials: true } : { origin: config.corsOrigins, credentials: true },
    allowRequest: admission.allowRequest,
    ...(redis && { adapter: createClusterAdapter(redis, metrics) }),
  });
  admission.attach(io);

  const connectionStore = redis ? new RedisConnectionStore(redis) : new MemoryConnectionStore();
  const registry = new ConnectionRegistry(connectionStore, io, config, logger.child({ component: 'registry' }), metrics, redis);
  const revocationStore = redis ? new RedisRevocationStore(redis) : new MemoryRevocationStore();
  const revocations = new RevocationService(revocationStore, io, redis !== null, endSession, logger.child({ component: 'revocation' }));
  redis?.onRecover(() => revocations.restore());
  const realtime = new RealtimeService(io, registry, config, contract, logger);
  const roomService = new RoomService(io, config, metrics, redis ? subscriptionBarrier(redis) : undefined);
  const hooks = createExtensionHooks({ inProcess: options.hooks ?? {}, http: config.hooks, logger, metrics });
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

  const shared = {
    io,
    config,
    metrics,
    clock,
    redis,
    realtime,
    rooms: roomService,
    registry,
    revocations,
    verifier,
    hooks,
    endSession,
    nodeStats: () => stats.current(),
    services: new ServiceRegistry(),
  };
  const composition = composeFeatures(features, shared, config, logger, contract);
  const dispatcher = createDispatcher(composition.routes, { config, logger, metrics, hooks, endSession, tracing, redis });
  const handshakesPerIp = createHandshakeLimiter(config, redis, logger.child({ component: 'handshake' }));
  const stats = new NodeStatsSampler(io, config.nodeId, dispatcher.received);

  for (const feature of composition.features) feature.parts.routes?.(app);
  // The contract this server runs, the studio's events included, for code generators and docs.
  let asyncApi: AsyncApiDocument | undefined;
  app.get('/asyncapi.json', (c) => c.json((asyncApi ??= asyncApiDocument(contract))));
  if (config.staticDir) serveStaticDir(app, config.staticDir);

  io.use(
    createHandshakeMiddleware({
      config,
      verifier,
      revocations,
      registry,
      hooks,
      logger: logger.child({ component: 'handshake' }),
      metrics,
      perIp: handshakesPerIp,
      isShuttingDown: () => shuttingDown,
    }),
  );
  const lifecycle = attachConnectionLifecycle({
    io,
    logger,
    metrics,
    clock,
    features: composition.features,
    dispatcher,
    registry,
    slowConsumers,
    expiry,
  });

  if (redis) await redis.start();
  await registry.start();
  revocations.start();
  stats.start();
  for (const feature of composition.features) await feature.parts.start?.();
  logger.info({ redis: redis !== null, features: composition.features.map((feature) => feature.name) }, 'tavern server started');

  let shutdownPromise: Promise<void> | null = null;
  return {
    io,
    config,
    metrics,
    verifier,
    realtime,
    contract,
    context: { ...shared, contract },
    redis,
    events: dispatcher.events,
    get shuttingDown() {
      return shuttingDown;
    },
    shutdown() {
      shuttingDown = true;
      shutdownPromise ??= shutDown({
        io,
        config,
        logger,
        features: composition.features,
        dispatcher,
        lifecycle,
        closeShared: async () => {
          revocations.stop();
          stats.stop();
          dispatcher.stop();
          handshakesPerIp.stop();
          await registry.stop();
          await new Promise<void>((resolve) => {
            void io.close(() => resolve());
          });
          if (redis) await redis.close();
        },
        // The last spans (the drain's own handlers among them) are exported before the process goes.
      }).then(() => tracing?.shutdown());
      return shutdownPromise;
    },
  };
}
