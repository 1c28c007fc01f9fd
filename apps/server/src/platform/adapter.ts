/**
 * The cluster adapter: Socket.IO's sharded Redis adapter (Redis 7 SPUBLISH/SSUBSCRIBE) in
 * dynamic mode, so a node subscribes only to the rooms it has members in and receives only
 * their broadcasts. Publishes are skipped (and counted) while Redis is unhealthy, so an
 * outage cannot queue unbounded messages in memory.
 */
import { createShardedAdapter } from '@socket.io/redis-adapter';
import type { ServerOptions } from 'socket.io';
import type { Metrics } from './metrics.js';
import type { RedisConnections } from './redis.js';

type Publish = (channel: string, message: string | Buffer) => Promise<number>;

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
  return createShardedAdapter(redis.pub, redis.sub, {
    channelPrefix: `${redis.keyPrefix}sio`,
    subscriptionMode: 'dynamic',
  });
}

/**
 * Resolves once this node's subscription to a room's channel is in place. The adapter
 * subscribes when a room is created but does not wait; a client told "joined" before that
 * could miss a broadcast from another node. A second SSUBSCRIBE on the same connection is
 * answered after the adapter's, so awaiting it is a barrier. Bounded, and a no-op while
 * Redis is down (nothing crosses nodes then anyway).
 */
export function subscriptionBarrier(redis: RedisConnections, timeoutMs = 1_000): (room: string) => Promise<void> {
  const channelPrefix = `${redis.keyPrefix}sio#/#`;
  return async (room) => {
    if (!redis.healthy) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      redis.sub.ssubscribe(`${channelPrefix}${room}#`).catch(() => undefined),
      new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
  };
}
