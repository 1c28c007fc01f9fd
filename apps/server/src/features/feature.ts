/**
 * A feature is one folder under `features/`: its handlers, what it does when a socket
 * connects or disconnects, its timers, and optionally HTTP routes. The server composes the
 * features listed in `features/index.ts`; a feature never reaches into another's folder,
 * it uses the shared services in `FeatureContext`.
 *
 * @example
 * export const pingFeature: FeatureFactory = () => ({
 *   name: 'ping',
 *   handlers: [defineHandler('time:sync', (_ctx, { clientTime }) => ({ clientTime, serverTime: Date.now() }))],
 * });
 */
import type { NodeStats } from '@tavern/protocol';
import type { Hono } from 'hono';
import type { DisconnectReason } from 'socket.io';
import type { RevocationService } from '../auth/revocation.service.js';
import type { TokenVerifier } from '../auth/token-verifier.js';
import type { Config } from '../config.js';
import type { ConnectionRegistry } from '../connections/connection-registry.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import type { Metrics } from '../platform/metrics.js';
import type { RedisConnections } from '../platform/redis.js';
import type { RealtimeService } from '../realtime/realtime.service.js';
import type { endSession } from '../realtime/session-end.js';
import type { RoomService } from '../rooms/room.service.js';
import type { HandlerDefinition } from '../transport/define-handler.js';
import type { TavernServer, TavernSocket } from '../transport/socket-types.js';

/** The shared services every feature may use. */
export interface FeatureContext {
  io: TavernServer;
  config: Config;
  /** A child logger named after the feature. */
  logger: Logger;
  metrics: Metrics;
  clock: Clock;
  /** Null without `REDIS_URL`: features then use their in-memory stores. */
  redis: RedisConnections | null;
  realtime: RealtimeService;
  rooms: RoomService;
  registry: ConnectionRegistry;
  revocations: RevocationService;
  verifier: TokenVerifier;
  /** This node's figures (connections, users, rooms, events/s). */
  nodeStats: () => NodeStats;
  /** Ends one socket's session, telling the client why. */
  endSession: typeof endSession;
  /** Services other features published with `provide` (see `FeatureContext.use`). */
  services: ServiceRegistry;
}

export interface Feature {
  readonly name: string;
  readonly handlers?: readonly HandlerDefinition[];
  /**
   * Runs after authentication, before `session:ready` is sent. Every feature's hook starts at
   * once (in feature order) and `session:ready` waits for all of them; errors are logged, not
   * fatal.
   */
  onConnect?(socket: TavernSocket): void | Promise<void>;
  /**
   * Runs once the socket has closed and left its rooms; `joined` holds the rooms it was in,
   * read at `disconnecting`. The server reads them once for every feature, so that no feature
   * needs per-socket `disconnecting`/`disconnect` listeners of its own (each `once` listener
   * costs a few hundred bytes for as long as the socket lives).
   */
  onDisconnect?(socket: TavernSocket, reason: DisconnectReason, joined: ReadonlySet<string>): void | Promise<void>;
  /** Timers, subscriptions; runs once before the server accepts connections. */
  start?(): void | Promise<void>;
  /** Runs on shutdown, in reverse order, before Redis is closed. */
  stop?(): void | Promise<void>;
  /** Adds HTTP routes (admin API and the like). */
  routes?(app: Hono): void;
}

export type FeatureFactory = (context: FeatureContext) => Feature;

/**
 * Typed service lookup between features, so that (say) chat can ask presence about a user
 * without importing its internals. Keys are declared by module augmentation of
 * `TavernServices`.
 *
 * @example
 * declare module '../feature.js' { interface TavernServices { notifications: NotificationService } }
 * context.services.provide('notifications', service);
 * context.services.get('notifications').create(...);
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- augmented by features
export interface TavernServices {}

export class ServiceRegistry {
  private readonly services = new Map<string, unknown>();

  provide<K extends keyof TavernServices>(name: K, service: TavernServices[K]): void {
    if (this.services.has(name)) throw new Error(`service ${String(name)} is provided twice`);
    this.services.set(name, service);
  }

  /** Throws when no feature provides `name`: a composition mistake, found at start-up. */
  get<K extends keyof TavernServices>(name: K): TavernServices[K] {
    if (!this.services.has(name)) throw new Error(`no feature provides the ${String(name)} service`);
    return this.services.get(name) as TavernServices[K];
  }

  find<K extends keyof TavernServices>(name: K): TavernServices[K] | undefined {
    return this.services.get(name) as TavernServices[K] | undefined;
  }
}
