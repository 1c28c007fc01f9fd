/**
 * Notices a Redis that lost its data without a visible outage: a FLUSHALL or FLUSHDB, or a
 * restart without persistence quicker than the health check. The marker key `<prefix>epoch`
 * holds a random id. Every health check sends `SET <prefix>epoch <fresh id> NX GET` in the
 * same pipeline as its TIME probe, so it costs one command and no extra round trip. The reply
 * is the marker, or nil when the key was missing, and then the fresh id has just been written.
 * A node that finds the marker missing, or holding an id other than the one it saw last, knows
 * the data is gone. It logs that, counts it (`tavern_redis_data_losses_total`) and runs the same
 * `onRecover` listeners as after an outage. When two nodes see one flush, both repair: the
 * first finds the key missing and writes its id, and the second finds an id it has never seen.
 * A marker evicted under an `allkeys-*` maxmemory policy is a false alarm, and it is harmless
 * because every recovery step is idempotent. A restart that keeps its data (AOF, RDB) keeps
 * the marker, but may have lost the last writes (AOF fsync every second, an RDB snapshot
 * minutes old, a replica promoted with lag). Any restart closes the connections, so a
 * reconnect of the store connection that the health check did not see as an outage runs the
 * recovery too (it is not counted as a loss: none may have happened). That costs no command.
 * On a Redis Cluster the marker lives in one slot, so a failover of another master (whose
 * replica may lack the last writes) is noticed by the client dropping the failed node from
 * its pool instead, and runs the same recovery.
 *
 * What recovery restores, from what each node holds in memory (each step is also correct
 * after an outage that lost nothing, and with several nodes restoring at once):
 * - the connection registry: this node's heartbeat and its sockets, so users are online again
 *   and the sockets-per-user cap counts them, and the held sessions of those sockets, so they
 *   can still resume on another node (connections/connection-registry.ts);
 * - presence: the chosen status, activity and last announcement of the users connected here,
 *   written only where no entry exists (features/presence);
 * - revocations still in force that this node knows (auth/revocation.service.ts), so a revoked
 *   token stays refused.
 * What it cannot restore, because no node keeps a copy: the sessions of sockets that already
 * closed (a client that resumes one gets a new session, `recovered: false`), and the records
 * that live only in Redis (chat history and rooms, parties, guilds, notifications, combat,
 * world positions, lobbies). Those rely on Redis persistence and replicas. Pub/sub is not
 * data: a flush leaves the adapter's room subscriptions alone, and after a restart the
 * subscriber connection subscribes again by itself. The matchmaking lease is taken again by
 * whichever node asks next.
 */
import type { ChainableCommander } from 'ioredis';
import { randomId } from './ids.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { RedisClient } from './redis.js';

/** A pipeline reply: the error, or null and the result. */
type Reply = [error: Error | null, result: unknown] | undefined;

export class RedisEpoch {
  /** The marker this node saw last, or null before the first answer. */
  private seen: string | null = null;
  /** Set when `client` (re)connects: Redis may have restarted since the last answer. */
  private reconnected = false;

  constructor(
    private readonly key: string,
    client: RedisClient,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {
    client.on('ready', () => (this.reconnected = true));
    // On a Redis Cluster, a node leaving the client's pool is a master that failed over (or
    // was removed): its promoted replica may lack the last writes, so re-publish as well.
    client.on('-node', () => (this.reconnected = true));
  }

  /**
   * Queues the marker's `SET NX GET` on the health check's pipeline. Call the function it
   * returns with that command's reply: true when what Redis holds must be re-published, i.e.
   * Redis lost its data or the connection came back since the last answer. Each call writes
   * a fresh id, so overlapping checks cannot mistake each other's writes.
   *
   * @example
   * const pipeline = client.pipeline().time();
   * const republish = epoch.probe(pipeline);
   * const replies = await pipeline.exec();
   * if (republish(replies?.[1])) await recover();
   */
  probe(pipeline: ChainableCommander): (reply: Reply) => boolean {
    const fresh = randomId();
    pipeline.set(this.key, fresh, 'NX', 'GET');
    return (reply) => {
      if (!reply || reply[0] !== null) return false;
      const current = typeof reply[1] === 'string' ? reply[1] : fresh;
      const first = this.seen === null;
      const lost = !first && current !== this.seen;
      const reconnected = this.reconnected;
      this.seen = current;
      this.reconnected = false;
      if (lost) {
        this.metrics.redisDataLosses.inc();
        this.logger.warn({ marker: this.key }, 'redis lost its data (epoch marker missing or replaced): restoring what this node holds');
      } else if (reconnected && !first) {
        this.logger.info('redis connection re-established (redis may have restarted): restoring what this node holds');
      }
      return lost || reconnected;
    };
  }
}
