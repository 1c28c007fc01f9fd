/**
 * What happens to every socket between the handshake and its close: it is metered, guarded
 * against slow reads, routed through the dispatcher, joined to its user room, shown to every
 * feature's `onConnect` (concurrently) before `session:ready`, and on close handed to every
 * feature's `onDisconnect` with the rooms it was in. What a close starts (the registry's
 * removal, every `onDisconnect`) is tracked until it settles, so a shutdown can wait for it
 * before it closes Redis.
 */
import { rooms } from '@tavern/protocol';
import { armExpiry, clearExpiry, type ExpiryOptions } from '../auth/session-expiry.js';
import type { ConnectionRegistry } from '../connections/connection-registry.js';
import type { ComposedFeature } from '../features/compose.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import type { Metrics } from '../platform/metrics.js';
import type { Dispatcher } from '../transport/dispatcher.js';
import type { SlowConsumerGuard } from '../transport/slow-consumer.js';
import type { TavernServer, TavernSocket } from '../transport/socket-types.js';

export interface LifecycleDeps {
  io: TavernServer;
  logger: Logger;
  metrics: Metrics;
  clock: Clock;
  features: readonly ComposedFeature[];
  dispatcher: Dispatcher;
  registry: ConnectionRegistry;
  slowConsumers: SlowConsumerGuard;
  expiry: ExpiryOptions;
}

export interface ConnectionLifecycle {
  /** Resolves once the work of every close so far (registry, `onDisconnect` hooks) has settled. */
  closesSettled(): Promise<void>;
}

export function attachConnectionLifecycle(deps: LifecycleDeps): ConnectionLifecycle {
  const { io, logger, metrics, clock, features, dispatcher, registry, slowConsumers, expiry } = deps;
  /** The work of closes still running (each settles: runHook and unregister never reject). */
  const closing = new Set<Promise<unknown>>();

  async function runHook(socket: TavernSocket, feature: ComposedFeature, hook: 'onConnect' | 'onDisconnect', run: () => void | Promise<void>) {
    try {
      await run();
    } catch (error) {
      metrics.internalErrors.labels(`${feature.name}.${hook}`).inc();
      logger.error({ err: error, socketId: socket.id, feature: feature.name }, `${hook} failed`);
    }
  }

  const connectHooks = features.filter((feature) => feature.parts.onConnect !== undefined);
  const disconnectHooks = features.filter((feature) => feature.parts.onDisconnect !== undefined);
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
    registry.holdSession(socket);
    socket.on('disconnect', (reason) => {
      const joined = roomsAtClose.get(socket) ?? new Set<string>();
      roomsAtClose.delete(socket);
      metrics.connections.dec();
      clearExpiry(socket);
      const unregistered = registry.unregister(socket);
      registry.releaseSession(socket);
      const work = Promise.all([
        unregistered,
        ...disconnectHooks.map((feature) => runHook(socket, feature, 'onDisconnect', () => feature.parts.onDisconnect?.(socket, reason, joined))),
      ]);
      closing.add(work);
      void work.finally(() => closing.delete(work));
    });
    void (async () => {
      await socket.join(rooms.user(user.userId));
      // Independent lookups (party, combat, notifications, presence): concurrently, so that
      // with Redis a handshake waits for the slowest round trip, not for all of them in turn.
      await Promise.all(connectHooks.map((feature) => runHook(socket, feature, 'onConnect', () => feature.parts.onConnect?.(socket))));
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

  return {
    async closesSettled() {
      while (closing.size > 0) await Promise.all(closing);
    },
  };
}
