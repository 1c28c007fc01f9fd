/** RedisConnections on a test Redis or Redis Cluster, for store contract suites. */
import type { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { useRedisCluster } from './start-redis-cluster.js';
import { useRedis } from './start-redis.js';
import { createLogger } from '../../src/platform/logger.js';
import { createMetrics } from '../../src/platform/metrics.js';
import { RedisConnections } from '../../src/platform/redis.js';

/** What a suite runs against: one `redis-server`, or a Redis Cluster (3 masters, 1 replica each). */
export const REDIS_BACKENDS = ['redis', 'cluster'] as const;
export type RedisBackend = (typeof REDIS_BACKENDS)[number];

/**
 * A Redis of that kind for the tests of a `describe` block: started before them, stopped after.
 *
 * @example
 * describe.each(REDIS_BACKENDS)('on %s', (backend) => {
 *   const redis = useRedisBackend(backend);
 *   it('...', async () => { await using node = await startTestServer({ config: clusterConfig(redis().url) }); });
 * });
 */
export function useRedisBackend(backend: RedisBackend): () => { readonly url: string; client(): Redis | Cluster } {
  return backend === 'cluster' ? useRedisCluster() : useRedis();
}

export async function connectStores(url: string, keyPrefix: string): Promise<RedisConnections> {
  const logger = createLogger({ level: 'silent', nodeId: keyPrefix });
  const connections = new RedisConnections({ url, keyPrefix }, logger, createMetrics({ nodeId: keyPrefix, collectDefaults: false }));
  await connections.start();
  return connections;
}

/** A test Redis (or cluster) and store connections to it for a contract suite: started before, closed after. */
export function useStoreConnections(keyPrefix: string, backend: RedisBackend = 'redis'): () => RedisConnections {
  const redis = useRedisBackend(backend);
  let connections: RedisConnections | undefined;
  beforeAll(async () => {
    connections = await connectStores(redis().url, keyPrefix);
  });
  afterAll(async () => {
    await connections?.close();
  });
  return () => {
    if (!connections) throw new Error('useStoreConnections: not connected yet (call it inside a test)');
    return connections;
  };
}
