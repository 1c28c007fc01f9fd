/**
 * Handshake authentication, exactly as PROTOCOL.md says: token from `auth.token`, then the
 * `Authorization: Bearer` header, then `?token=` (only when allowed); the protocol version;
 * per-IP handshake limit (across the cluster, see `createHandshakeLimiter`); revocation; the studio's connect hook; the per-user socket cap across
 * all nodes. A refusal is
 * a `connect_error` whose message is the code and whose `data` is `{ code, message }`.
 */
import { ErrorCode, HandshakeAuth, PROTOCOL_VERSION } from '@tavern/protocol';
import type { ExtendedError } from 'socket.io';
import type { Config } from '../config.js';
import type { ConnectionRegistry } from '../connections/connection-registry.js';
import { randomId } from '../platform/ids.js';
import type { Logger } from '../platform/logger.js';
import type { ExtensionHooks } from '../hooks/hooks.js';
import type { Metrics } from '../platform/metrics.js';
import { AppError } from '../platform/app-error.js';
import type { RedisConnections } from '../platform/redis.js';
import { DistributedLimiter } from '../transport/distributed-limiter.js';
import type { TavernSocket } from '../transport/socket-types.js';
import { createClientIpResolver } from './client-ip.js';
import type { RevocationService } from './revocation.service.js';
import type { TokenVerifier } from './token-verifier.js';

export interface HandshakeDeps {
  config: Config;
  verifier: TokenVerifier;
  revocations: RevocationService;
  registry: ConnectionRegistry;
  /** The studio's connect hook: may refuse the user or change who they are. */
  hooks: ExtensionHooks;
  logger: Logger;
  metrics: Metrics;
  /** Handshakes per client address, from `createHandshakeLimiter`. */
  perIp: DistributedLimiter;
  /** True once the node is shutting down: new handshakes are refused. */
  isShuttingDown: () => boolean;
}

export function connectError(error: AppError): ExtendedError {
  const connectionError = new Error(error.code) as ExtendedError;
  connectionError.data = {
    code: error.code,
    message: error.message,
    ...(error.retryAfterMs !== undefined && { retryAfterMs: error.retryAfterMs }),
  };
  return connectionError;
}

export function readToken(socket: TavernSocket, auth: HandshakeAuth, allowQuery: boolean): string | null {
  if (auth.token) return auth.token;
  const header = socket.handshake.headers.authorization;
  if (typeof header === 'string' && header.startsWith('Bearer ')) return header.slice(7).trim();
  if (allowQuery) {
    const query = socket.handshake.query['token'];
    if (typeof query === 'string' && query.length > 0) return query;
  }
  return null;
}

/**
 * `handshakesPerIp` per `handshakeWindowMs` per client address across all nodes: a bucket of
 * that many that refills over the window. A node spends a tenth of it (at least one) before Redis
 * has counted it, and a handshake waits for Redis only past that credit.
 */
export function createHandshakeLimiter(config: Config, redis: RedisConnections | null, logger: Logger): DistributedLimiter {
  const { handshakesPerIp, handshakeWindowMs, rateLimitSyncMs } = config.limits;
  return new DistributedLimiter({
    scope: 'ip',
    redis,
    syncMs: rateLimitSyncMs,
    logger,
    rules: [{ name: 'handshake', ratePerSec: handshakesPerIp / (handshakeWindowMs / 1000), burst: handshakesPerIp }],
  });
}

export function createHandshakeMiddleware(deps: HandshakeDeps) {
  const { config, verifier, revocations, registry, metrics, logger, perIp } = deps;
  const clientIp = createClientIpResolver(config.trustProxy);
  const accepted = metrics.handshakes.series({ outcome: 'ok' });

  async function authenticate(socket: TavernSocket): Promise<void> {
    if (deps.isShuttingDown()) throw new AppError(ErrorCode.UNAVAILABLE, 'this node is shutting down, reconnect to another');
    const ip = clientIp(socket.request);
    const waitMs = await perIp.acquire(ip, 0);
    if (waitMs > 0) {
      metrics.capRefusals.labels('handshakes_per_ip').inc();
      throw new AppError(ErrorCode.RATE_LIMITED, 'too many connection attempts from this address', { retryAfterMs: waitMs });
    }
    const auth = HandshakeAuth.safeParse(socket.handshake.auth ?? {});
    if (!auth.success) throw new AppError(ErrorCode.UNAUTHENTICATED, 'handshake auth is malformed');
    const version = auth.data.v ?? PROTOCOL_VERSION;
    if (version !== PROTOCOL_VERSION) {
      throw new AppError(ErrorCode.UNSUPPORTED_VERSION, `protocol version ${version} is not supported; this server speaks ${PROTOCOL_VERSION}`);
    }
    const token = readToken(socket, auth.data, config.auth.allowQueryToken);
    if (!token) throw new AppError(ErrorCode.UNAUTHENTICATED, 'no token: send it as auth.token');
    const verified = await verifier.verify(token);
    await revocations.assertNotRevoked(verified.user);
    // No promise and no extra turn without a connect hook.
    const user = deps.hooks.checksConnect ? await deps.hooks.connect({ user: verified.user, ip }) : verified.user;
    const { expiresAt } = verified;

    let sessionId = randomId();
    let recovered = false;
    if (auth.data.sessionId) {
      const owner = await registry.store.sessionOwner(auth.data.sessionId).catch(() => null);
      if (owner === user.userId) {
        sessionId = auth.data.sessionId;
        recovered = true;
      }
    }
    const now = Date.now();
    socket.data = {
      user,
      sessionId,
      recovered,
      expiresAt,
      connectedAt: now,
      lastActivityAt: now,
      ip,
      registered: false,
      buckets: null,
    };
    if (!(await registry.register(socket))) {
      metrics.capRefusals.labels('sockets_per_user').inc();
      throw new AppError(ErrorCode.LIMIT_EXCEEDED, `at most ${config.limits.maxSocketsPerUser} connections per user`);
    }
    // The client may hang up before the connection completes; then no 'disconnect' follows.
    socket.conn.once('close', () => void registry.unregister(socket));
  }

  return (socket: TavernSocket, next: (error?: ExtendedError) => void): void => {
    authenticate(socket).then(
      () => {
        accepted.inc();
        next();
      },
      (error: unknown) => {
        const appError =
          error instanceof AppError ? error : new AppError(ErrorCode.INTERNAL, 'handshake failed', { cause: error });
        if (!(error instanceof AppError)) logger.error({ err: error }, 'handshake failed unexpectedly');
        metrics.handshakes.labels(appError.code).inc();
        next(connectError(appError));
      },
    );
  };
}
