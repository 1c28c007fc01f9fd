/**
 * The cluster adapter: Socket.IO's sharded Redis adapter (Redis 7 SPUBLISH/SSUBSCRIBE) in
 * dynamic mode, so a node subscribes only to the rooms it has members in and receives only
 * their broadcasts. Publishes are skipped (and counted) while Redis is unhealthy, so an
 * outage cannot queue unbounded messages in memory. On a Redis Cluster each room's channel
 * is subscribed on the shard that owns it; see `retrySubscriptions` for a failover.
 */
import { createShardedAdapter } from '@socket.io/redis-adapter';
import type { ServerOptions } from 'socket.io';
import type { Metrics } from './metrics.js';
import type { RedisConnections } from './redis.js';

type Publish = (channel: string, message: string | Buffer) => Promise<number>;

interface ShardedSubscriber {
  readonly status: string;
  ssubscribe(...channels: string[]): Promise<unknown>;
  sunsubscribe(...channels: string[]): Promise<unknown>;
}

/** Between two tries of an SSUBSCRIBE refused during a failover. */
const RESUBSCRIBE_MS = 200;

/**
 * On a Redis Cluster, an SSUBSCRIBE sent while the shard owning its channel has no master (a
 * failover under way) is refused at once, without being remembered for the resubscription
 * ioredis does after it learns the new slot map; and the adapter does not handle that
 * rejection (an unhandled rejection would end the process). So each SSUBSCRIBE is tried
 * again until it holds, unless the channel was unsubscribed meanwhile or the client closed,
 * and its promise only resolves. An SUNSUBSCRIBE refused then has nothing left to undo.
 */
function retrySubscriptions(client: ShardedSubscriber): void {
  const ssubscribe = client.ssubscribe.bind(client);
  const sunsubscribe = client.sunsubscribe.bind(client);
  const wanted = new Set<string>();
  const subscribe = async (channels: string[]): Promise<unknown> => {
    for (;;) {
      const pending = channels.filter((channel) => wanted.has(channel));
      if (pending.length === 0 || client.status === 'end') return 0;
      try {
        return await ssubscribe(...pending);
      } catch {
        await new Promise((resolve) => setTimeout(resolve, RESUBSCRIBE_MS).unref());
      }
    }
  };
  client.ssubscribe = (...channels) => {
    for (const channel of channels) wanted.add(channel);
    return subscribe(channels);
  };
  client.sunsubscribe = (...channels) => {
    for (const channel of channels) wanted.delete(channel);
    return sunsubscribe(...channels).catch(() => 0);
  };
}

export function createClusterAdapter(redis: RedisConnections, metrics: Metrics): ServerOptions['adapter'] {
  const client = redis.pub as unknown as { spublish: Publish };
  const spublish = client.spublish.bind(client);
  client.spublish = (channel, message) => {
    if (!redis.healthy) {
      metrics.redisPublishFailures.inc();
      return Promise.reject(new Error('redis is unhealthy: publish skipped'));
    }
    return spublish(channel, message).catch((error: unknown) => {
      metrics.redisPublishFailures.inc();
      throw error;
    });
  };
  if (redis.cluster) retrySubscriptions(redis.sub);
  return createShardedAdapter(redis.pub, redis.sub, {
    channelPrefix: `${redis.keyPrefix}sio`,
    subscriptionMode: 'dynamic',
  });
}

/**
 * Resolves once this node's subscription to a room's channel is in place. The adapter
 * subscribes when a room is created (its first socket on this node) but does not wait; a
 * client told "joined" before that could miss a broadcast from another node. A second
 * SSUBSCRIBE on the same connection is answered after the adapter's, so awaiting it is a
 * barrier. Only a join that created the room, or that came while that room's barrier is still
 * pending, waits: a room this node already had is subscribed already, so a join storm into
 * one channel sends one SSUBSCRIBE, not one per join. Bounded, and a no-op while Redis is down
 * (nothing crosses nodes then anyway).
 */
export function subscriptionBarrier(redis: RedisConnections, timeoutMs = 1_000): (room: string, created: boolean) => Promise<void> {
  const channelPrefix = `${redis.keyPrefix}sio#/#`;
  /** Rooms whose barrier is on its way; removed when it settles, so at most one per room created in the last `timeoutMs`. */
  const pending = new Map<string, Promise<void>>();
  const barrier = async (room: string): Promise<void> => {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      redis.sub.ssubscribe(`${channelPrefix}${room}#`).catch(() => undefined),
      new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
  };
  return (room, created) => {
    let waiting = pending.get(room);
    if (waiting === undefined) {
      if (!created || !redis.healthy) return Promise.resolve();
      waiting = barrier(room).finally(() => pending.delete(room));
      pending.set(room, waiting);
    }
    return waiting;
  };
}
