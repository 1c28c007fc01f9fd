/** RedisConnections on a test Redis, for store contract suites. */
import { afterAll, beforeAll } from 'vitest';
import { useRedis } from './start-redis.js';
import { createLogger } from '../../src/platform/logger.js';
import { createMetrics } from '../../src/platform/metrics.js';
import { RedisConnections } from '../../src/platform/redis.js';

export async function connectStores(url: string, keyPrefix: string): Promise<RedisConnections> {
  const logger = createLogger({ level: 'silent', nodeId: keyPrefix });
  const connections = new RedisConnections({ url, keyPrefix }, logger, createMetrics({ nodeId: keyPrefix, collectDefaults: false }));
  await connections.start();
  return connections;
}

/** A test Redis and store connections to it for a contract suite: started before, closed after. */
export function useStoreConnections(keyPrefix: string): () => RedisConnections {
  const redis = useRedis();
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
