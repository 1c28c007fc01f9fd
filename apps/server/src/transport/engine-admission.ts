/**
 * Admission at the Engine.IO level, before any Socket.IO handshake: the origin check, a token
 * bucket of new Engine.IO sessions per client address, a cap on the sessions per address that
 * are open but have not completed the authenticated Socket.IO connect, and the connect deadline
 * that closes such sessions whatever their transport.
 *
 * Engine.IO calls `allowRequest` only for requests without a `sid` (the opening GET or the
 * direct WebSocket upgrade); the polls and the upgrade of an open session carry its `sid` and
 * are not counted. A refusal is an Engine.IO `Forbidden` whose message says why: HTTP 403
 * `{ code: 4, message }` for polling, HTTP 400 with the message as its body for a WebSocket.
 *
 * The bucket of opens is per node on purpose, not a `DistributedLimiter`: it protects this node's
 * memory and CPU before anyone has authenticated, and it must answer before any Redis round trip
 * (an unauthenticated flood should never reach Redis). The cluster-wide limit per address is the
 * handshake's (auth/handshake.ts), whose refusal is the contract's RATE_LIMITED with retryAfterMs.
 *
 * Why our own deadline and not only Socket.IO's `connectTimeout`: Socket.IO closes a client
 * without a namespace with a plain `conn.close()`, and a polling transport with no GET waiting
 * then holds the session 30 s more (engine.io's `closeTimeout`) for a poll that never comes.
 * Here the session is closed with its transport discarded, so it is gone at once.
 */
import type { IncomingMessage } from 'node:http';
import { ErrorCode } from '@tavern/protocol';
import { createClientIpResolver } from '../auth/client-ip.js';
import type { Config } from '../config.js';
import type { Metrics } from '../platform/metrics.js';
import { KeyedTokenBuckets } from './rate-limiter.js';
import type { TavernServer, TavernSocket } from './socket-types.js';

type EngineSocket = TavernSocket['conn'];

export interface EngineAdmission {
  /** Engine.IO's `allowRequest` option. */
  readonly allowRequest: (request: IncomingMessage, callback: (message: string | null, allowed: boolean) => void) => void;
  /** Starts the connect deadline of every new session of `io`'s engine. */
  readonly attach: (io: TavernServer) => void;
}

/**
 * @example
 * const admission = createEngineAdmission(config, metrics);
 * const io = new Server(httpServer, { allowRequest: admission.allowRequest, connectTimeout: config.limits.connectTimeoutMs * 2 });
 * admission.attach(io);
 */
export function createEngineAdmission(config: Config, metrics: Metrics): EngineAdmission {
  const { corsOrigins, limits } = config;
  const clientIp = createClientIpResolver(config.trustProxy);
  const { ratePerSec, burst } = limits.engineOpensPerIp;
  // An address's bucket is full again `burst / rate` seconds after its last open, the same as
  // none: those are dropped once many addresses hold one.
  const opens = new KeyedTokenBuckets(ratePerSec, burst / ratePerSec);
  /** Sessions open but not yet connected, by address; an address with none has no entry. */
  const pending = new Map<string, number>();
  const opensRefused = metrics.capRefusals.labels('engine_opens_per_ip');
  const pendingRefused = metrics.capRefusals.labels('engine_pending_per_ip');
  /** What ends a session's wait, by session: set at open, run at its Socket.IO connect. */
  const connected = new WeakMap<EngineSocket, () => void>();
  /** Admitted requests whose session is not made yet: they hold their place in `pending`. */
  const admitted = new WeakSet<IncomingMessage>();

  function release(ip: string): void {
    const count = (pending.get(ip) ?? 1) - 1;
    if (count > 0) pending.set(ip, count);
    else pending.delete(ip);
  }

  function track(conn: EngineSocket): void {
    const ip = clientIp(conn.request);
    // The session takes over the place its request was admitted with.
    if (!admitted.delete(conn.request)) pending.set(ip, (pending.get(ip) ?? 0) + 1);
    let settled = false;
    const settle = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      // Connected: nothing of this wait stays with the session for its lifetime.
      conn.off('close', settle);
      release(ip);
    };
    const deadline = setTimeout(() => {
      settle();
      conn.close(true);
    }, limits.connectTimeoutMs);
    deadline.unref();
    conn.once('close', settle);
    connected.set(conn, settle);
  }

  return {
    allowRequest: (request, callback) => {
      const origin = request.headers.origin;
      // Browsers always send Origin; other clients (game servers, Node) may not.
      if (corsOrigins !== '*' && origin !== undefined && !corsOrigins.includes(origin)) return callback('origin not allowed', false);
      const ip = clientIp(request);
      const waiting = pending.get(ip) ?? 0;
      if (waiting >= limits.enginePendingPerIp) {
        pendingRefused.inc();
        return callback(`${ErrorCode.LIMIT_EXCEEDED}: at most ${limits.enginePendingPerIp} connections per address may be waiting to authenticate`, false);
      }
      const waitMs = opens.take(ip);
      if (waitMs > 0) {
        opensRefused.inc();
        return callback(`${ErrorCode.RATE_LIMITED}: too many new connections from this address, retry in ${waitMs} ms`, false);
      }
      // Counted now, not at the session's `connection`: Node hands over requests pipelined in
      // one read all in one turn, before the engine has made any of their sessions. Engine.IO
      // makes the session a microtask after this callback (polling and WebSocket alike), so a
      // request still without one at the next turn failed its handshake and gives its place back.
      pending.set(ip, waiting + 1);
      admitted.add(request);
      setImmediate(() => {
        if (admitted.delete(request)) release(ip);
      });
      callback(null, true);
    },
    attach: (io) => {
      io.engine.on('connection', track);
      io.on('connection', (socket) => {
        connected.get(socket.conn)?.();
        connected.delete(socket.conn);
      });
    },
  };
}
