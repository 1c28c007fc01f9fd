/** RedisConnections on a test Redis, for store contract suites. */
import { createLogger } from '../../src/platform/logger.js';
import { createMetrics } from '../../src/platform/metrics.js';
import { RedisConnections } from '../../src/platform/redis.js';

export async function connectStores(url: string, keyPrefix: string): Promise<RedisConnections> {
  const logger = createLogger({ level: 'silent', nodeId: keyPrefix });
  const connections = new RedisConnections({ url, keyPrefix }, logger, createMetrics({ nodeId: keyPrefix, collectDefaults: false }));
  await connections.start();
  return connections;
}
