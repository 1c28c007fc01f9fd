/**
 * Redis connections and their health. Three clients: `main` for store commands (no offline
 * queue: a command during an outage fails at once instead of piling up), `pub` for the
 * adapter's publishes (same), and `sub` for subscriptions (queues and resubscribes by itself).
 * Against a Redis Cluster (a `redis+cluster://` URL, see `parseRedisUrl`) each is an ioredis
 * `Cluster`: commands go to the master owning their key's slot, scripts too (EVALSHA, then
 * EVAL on that node when it lacks the script), and `sub` keeps one sharded subscriber per
 * master, so a room's channel is subscribed on the shard that owns it.
 *
 * A health loop pings `main` every second. While Redis does not answer, `healthy` is false:
 * stores refuse with `UNAVAILABLE`, publishes are skipped and counted, `/readyz` is 503, and
 * memory stays bounded however long the outage lasts. When Redis answers again, `onRecover`
 * listeners re-publish what this node knows (sockets, heartbeats). The same probe reads an epoch
 * marker that notices a Redis which lost its data without an outage, or restarted between two
 * checks, and then runs the same listeners (redis-epoch.ts).
 */
import { ErrorCode } from '@tavern/protocol';
import { createHash } from 'node:crypto';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { AppError } from './app-error.js';
import { keySlot } from './key-slot.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { RedisEpoch } from './redis-epoch.js';
import type { RedisTracer, Tracing } from './tracing.js';

export interface RedisSettings {
  /** `redis://`, `rediss://`, or `redis+cluster://` / `rediss+cluster://` with seed nodes (see `parseRedisUrl`). */
  url: string;
  keyPrefix: string;
  /** How often the health loop pings. @default 1000 */
  healthCheckMs?: number;
  /** A command (or ping) that takes longer fails; write scripts run no later than this (see `deadline`). @default 1500 */
  commandTimeoutMs?: number;
  /** How long `start()` waits for Redis. @default 5000 */
  startupWaitMs?: number;
  /**
   * When Redis does not answer within `startupWaitMs`: false starts degraded (not ready,
   * recovers by itself), true makes `start()` fail with `RedisUnavailableError`. @default false
   */
  required?: boolean;
}

/** Redis did not answer at start-up and `required` is set. */
export class RedisUnavailableError extends Error {
  constructor(
    readonly host: string,
    readonly waitedMs: number,
  ) {
    super(`redis at ${host} did not answer within ${waitedMs} ms`);
    this.name = 'RedisUnavailableError';
  }
}

/**
 * The time on Redis's clock (epoch ms) after which a write sent now must not run: see
 * `RedisConnections.deadline` and `defineWriteScript`.
 */
export type Deadline = () => number;

/** A single Redis or a Redis Cluster: both take the same commands, routed by key on a cluster. */
export type RedisClient = Redis | Cluster;

export interface RedisTarget {
  /** True for a `redis+cluster://` URL. */
  cluster: boolean;
  /** One node, or the cluster's seed nodes (any reachable one finds the rest). */
  nodes: { host: string; port: number }[];
  username?: string;
  password?: string;
  tls: boolean;
  /** The database (single Redis only; a cluster has only database 0). */
  db: number;
}

const CLUSTER_URL = /^(rediss?)\+cluster:\/\/(?:([^@/]*)@)?([^/?#]+)\/?$/;

/**
 * Where Redis is. `redis://[user:password@]host:port[/db]` (or `rediss://`) is one Redis;
 * `redis+cluster://[user:password@]host1:port1,host2:port2,...` (or `rediss+cluster://`) is a
 * Redis Cluster, given by seed nodes: one that answers tells the client about all the others.
 *
 * @example
 * parseRedisUrl('redis+cluster://10.0.0.1:7000,10.0.0.2:7000').nodes.length; // 2
 */
export function parseRedisUrl(url: string): RedisTarget {
  const cluster = CLUSTER_URL.exec(url);
  if (!cluster) {
    const parsed = new URL(url);
    return {
      cluster: false,
      nodes: [{ host: parsed.hostname, port: Number(parsed.port || 6379) }],
      ...(parsed.username && { username: decodeURIComponent(parsed.username) }),
      ...(parsed.password && { password: decodeURIComponent(parsed.password) }),
      tls: parsed.protocol === 'rediss:',
      db: Number(parsed.pathname.slice(1) || 0),
    };
  }
  const [, scheme, credentials, hosts = ''] = cluster;
  const nodes = hosts.split(',').map((hostPort) => {
    const match = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(hostPort);
    if (!match?.[1]) throw new Error(`invalid cluster node "${hostPort}" in the redis URL`);
    return { host: match[1].replace(/^\[|\]$/g, ''), port: Number(match[2] ?? 6379) };
  });
  const [username = '', password] = credentials === undefined ? [] : credentials.split(':');
  return {
    cluster: true,
    nodes,
    ...(username && { username: decodeURIComponent(username) }),
    ...(password !== undefined && { password: decodeURIComponent(password) }),
    tls: scheme === 'rediss',
    db: 0,
  };
}

/** The part of `commandTimeoutMs` before a timeout in which write scripts no longer run. */
const WRITE_MARGIN = 1 / 3;

export class RedisConnections {
  readonly main: RedisClient;
  readonly pub: RedisClient;
  readonly sub: RedisClient;
  /** True on a Redis Cluster. */
  readonly cluster: boolean;
  readonly keyPrefix: string;
  private isHealthy = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly recoverListeners: (() => void | Promise<void>)[] = [];
  private readonly lastErrorLog = new Map<string, number>();
  private closed = false;
  private readonly epoch: RedisEpoch;
  /** Spans around `run`, or null (tracing off). */
  private readonly tracer: RedisTracer | null;
  private readonly commandTimeoutMs: number;
  /**
   * Redis's clock minus this node's monotonic clock (ms), measured by each health check. A lower
   * bound: Redis read its clock somewhere between the probe's send and its reply, and this takes
   * the reply's time, so a slow probe errs towards earlier deadlines, never later ones.
   */
  private clockOffsetMs = 0;

  constructor(
    private readonly settings: RedisSettings,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
    tracing: Tracing | null = null,
  ) {
    this.keyPrefix = settings.keyPrefix;
    this.tracer = tracing ? tracing.redis(settings.url) : null;
    this.commandTimeoutMs = settings.commandTimeoutMs ?? 1_500;
    const target = parseRedisUrl(settings.url);
    this.cluster = target.cluster;
    const common: RedisOptions = {
      lazyConnect: false,
      connectTimeout: 2_000,
      retryStrategy: (attempt) => Math.min(100 * 2 ** Math.min(attempt, 5), 2_000),
      // Only a replica promoted/demoted under us warrants a reconnect; any other error reply
      // (NOSCRIPT after a restart, a script error) is the command's own failure.
      reconnectOnError: (error) => error.message.startsWith('READONLY'),
    };
    const failFast: RedisOptions = {
      ...common,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: this.commandTimeoutMs,
    };
    // Subscriptions made during an outage wait for the connection; they must never fail.
    // No ready check: its INFO is refused once the connection is back in subscriber mode, and
    // on a reconnect racing the resubscription ioredis then fails the queued SSUBSCRIBEs with
    // that error (unhandled rejections in a Redis-restart test). Redis accepts (S)SUBSCRIBE
    // while it is still loading its data, so this connection has nothing to wait for.
    const queueing: RedisOptions = { ...common, enableOfflineQueue: true, maxRetriesPerRequest: null, enableReadyCheck: false };
    const connect = (options: RedisOptions, subscriber = false) => (target.cluster ? clusterClient(target, options, subscriber) : new Redis(settings.url, options));
    this.main = connect({ ...failFast, connectionName: 'tavern-main' });
    this.pub = connect({ ...failFast, connectionName: 'tavern-pub' });
    this.epoch = new RedisEpoch(this.key('epoch'), this.main, logger, metrics);
    this.sub = connect({ ...queueing, connectionName: 'tavern-sub' }, true);
    for (const [name, client] of [['main', this.main], ['pub', this.pub], ['sub', this.sub]] as const) {
      client.on('error', (error: Error) => this.logError(name, error));
    }
    metrics.redisUp.set(0);
  }

  get healthy(): boolean {
    return this.isHealthy;
  }

  /**
   * Waits up to `startupWaitMs` for the three connections, then starts the health loop. A
   * node whose Redis is down still starts (degraded, not ready) and recovers by itself;
   * with `required`, it closes the connections and throws `RedisUnavailableError` instead.
   */
  async start(startupWaitMs = this.settings.startupWaitMs ?? 5_000): Promise<void> {
    const ready = (client: RedisClient) =>
      client.status === 'ready' ? Promise.resolve() : new Promise<void>((resolve) => client.once('ready', () => resolve()));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([this.main, this.pub, this.sub].map(ready)),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, startupWaitMs))),
    ]);
    clearTimeout(timer);
    await this.check();
    if (!this.isHealthy && this.settings.required) {
      // Not quit(): it would wait in the subscriber's offline queue for a Redis that is not there.
      this.closed = true;
      for (const client of [this.main, this.pub, this.sub]) client.disconnect();
      // Host and port only: the URL may hold a password.
      const { nodes } = parseRedisUrl(this.settings.url);
      throw new RedisUnavailableError(nodes.map(({ host, port }) => `${host}:${port}`).join(','), startupWaitMs);
    }
    this.timer = setInterval(() => void this.check(), this.settings.healthCheckMs ?? 1_000);
    this.timer.unref();
  }

  /**
   * Runs `fn` once Redis is back after an outage, when it lost its data without one (a flush,
   * a quick restart), when the connection came back between two checks (see redis-epoch.ts),
   * and after the first successful check. It may run while Redis kept everything, so it must
   * be idempotent.
   */
  onRecover(fn: () => void | Promise<void>): void {
    this.recoverListeners.push(fn);
  }

  /**
   * Runs a store operation: refused with `UNAVAILABLE` while Redis is unhealthy, and any
   * connection error or timeout becomes `UNAVAILABLE` too, as does a write script past its
   * `deadline` (handed to the operation for `defineWriteScript`). With tracing on, it runs in a
   * span (child of the event being handled).
   */
  async run<T>(operation: (client: RedisClient, deadline: Deadline) => Promise<T>): Promise<T> {
    if (!this.isHealthy) throw new AppError(ErrorCode.UNAVAILABLE, 'storage is unavailable, try again shortly');
    try {
      return await (this.tracer === null ? operation(this.main, this.deadline) : this.tracer.run((client) => operation(client, this.deadline), this.main));
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw new AppError(ErrorCode.UNAVAILABLE, 'storage is unavailable, try again shortly', { cause: error });
    }
  }

  /**
   * The Redis time after which a write sent now is refused by its script (`defineWriteScript`),
   * so that an `UNAVAILABLE` answer means "not written": the command times out after
   * `commandTimeoutMs`, and a script still queued in a frozen Redis must be a no-op when it
   * finally runs. The deadline is `WRITE_MARGIN` of the timeout before the node gives up.
   *
   * What the margin covers: a script starting just before its deadline must have its reply read
   * before the timeout fires, so the reply's trip, the node's event loop lag and the error of
   * the clock offset (kept on the early side) must stay under it: a third of the timeout, 500 ms
   * by default, where these are a few ms. What remains: Redis or this node stalling for longer
   * than the margin in the instant between the script's start and the reply being read (a
   * SIGSTOP landing exactly there), or Redis's wall clock stepping back between two health
   * checks. Then a write can be stored although its caller heard `UNAVAILABLE` (a chat message:
   * its retry returns it without a broadcast, and others find it in history and `chat:sync`).
   *
   * A command that ioredis sends again after a reconnect carries the same deadline: it runs only
   * while its caller still waits for it, and a write script must then recognise a second run of
   * itself (the chat append and room creation do).
   */
  readonly deadline: Deadline = () => Math.floor(performance.now() + this.clockOffsetMs + this.commandTimeoutMs * (1 - WRITE_MARGIN));

  key(...parts: string[]): string {
    return this.keyPrefix + parts.join(':');
  }

  /**
   * Runs a multi-key operation once per group of keys that share a slot: one group (one call)
   * on a single Redis, one per slot on a cluster, the groups sent together. `operation` gets
   * the indexes (into `keys`) of its group and answers one result per index, in that order;
   * the results come back in the order of `keys`. Call it inside `run`.
   *
   * @example
   * const entries = await redis.run((client) =>
   *   redis.eachSlot(keys, (group) => GET_ALL(client, group.map((i) => keys[i]!), []) as Promise<string[][]>));
   */
  async eachSlot<R>(keys: readonly string[], operation: (indexes: number[]) => Promise<readonly R[]>): Promise<R[]> {
    const groups = new Map<number, number[]>();
    keys.forEach((key, index) => {
      const slot = this.cluster ? keySlot(key) : 0;
      const group = groups.get(slot);
      if (group) group.push(index);
      else groups.set(slot, [index]);
    });
    const results = new Array<R>(keys.length);
    await Promise.all(
      [...groups.values()].map(async (indexes) => {
        const answers = await operation(indexes);
        indexes.forEach((index, i) => (results[index] = answers[i] as R));
      }),
    );
    return results;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.all([this.main, this.pub, this.sub].map((client) => client.quit().catch(() => client.disconnect())));
  }

  private async check(): Promise<void> {
    if (this.closed) return;
    let ok: boolean;
    let republish = false;
    try {
      const answer = await this.probe();
      ok = answer.answered && this.pub.status === 'ready' && this.sub.status === 'ready';
      republish = ok && answer.republish;
    } catch {
      ok = false;
    }
    if ((ok === this.isHealthy && !republish) || this.closed) return;
    const wasHealthy = this.isHealthy;
    this.isHealthy = ok;
    this.metrics.redisUp.set(ok ? 1 : 0);
    if (!ok) {
      this.logger.error('redis is unavailable: cross-node delivery paused, stores refuse with UNAVAILABLE');
      return;
    }
    if (!wasHealthy) this.logger.info('redis is available');
    for (const listener of this.recoverListeners) {
      try {
        await listener();
      } catch (error) {
        this.metrics.internalErrors.labels('redis_recover').inc();
        this.logger.error({ err: error }, 'redis recovery step failed');
      }
    }
  }

  /**
   * Pings with TIME, which also measures `clockOffsetMs`, and reads the epoch marker in the same
   * round trip: whether Redis answered, and whether to re-publish (redis-epoch.ts).
   */
  private async probe(): Promise<{ answered: boolean; republish: boolean }> {
    const pipeline = this.main.pipeline().time();
    const due = this.epoch.probe(pipeline);
    const [time, marker] = (await pipeline.exec()) ?? [];
    const [seconds, micros] = Array.isArray(time?.[1]) ? time[1].map(Number) : [];
    if (seconds === undefined || micros === undefined) return { answered: false, republish: false };
    this.clockOffsetMs = seconds * 1_000 + micros / 1_000 - performance.now();
    return { answered: true, republish: due(marker) };
  }

  private logError(client: string, error: Error): void {
    const now = Date.now();
    if (now - (this.lastErrorLog.get(client) ?? 0) < 10_000) return;
    this.lastErrorLog.set(client, now);
    this.logger.warn({ client, err: error.message }, 'redis connection error');
  }
}

type ScriptArgs = readonly (string | number)[];

/**
 * Runs `lua` by EVALSHA with arguments made at each send, and by EVAL (which also caches it)
 * on a node that does not hold it yet: a restarted Redis, or on a cluster the master owning
 * the keys' slot, which the client routes both commands to. No SCRIPT LOAD: on a cluster it
 * would reach an arbitrary node.
 */
function scriptRunner(lua: string) {
  const sha = createHash('sha1').update(lua).digest('hex');
  return async (client: RedisClient, keys: readonly string[], args: () => ScriptArgs): Promise<unknown> => {
    try {
      return await client.evalsha(sha, keys.length, ...keys, ...args());
    } catch (error) {
      if (!(error instanceof Error) || !error.message.includes('NOSCRIPT')) throw error;
      return client.eval(lua, keys.length, ...keys, ...args());
    }
  };
}

/**
 * A Lua script run by EVALSHA, loaded on first use and again after a Redis restart.
 *
 * @example
 * const incr = defineScript(`return redis.call('INCR', KEYS[1])`);
 * await incr(client, ['counter'], []);
 */
export function defineScript(lua: string) {
  const run = scriptRunner(lua);
  return (client: RedisClient, keys: readonly string[], args: ScriptArgs): Promise<unknown> => run(client, keys, () => args);
}

/**
 * Refuses to run after the deadline in the first argument, then shadows ARGV without it (a
 * copy: the global is not changed), so the script's own ARGV is as its caller passed it. TIME
 * before writes is allowed since Redis 5 replicates scripts by their effects (Redis 7 only so).
 */
const DEADLINE_CHECK = `
local now = redis.call('TIME')
if tonumber(now[1]) * 1000 + tonumber(now[2]) / 1000 > tonumber(ARGV[1]) then
  return redis.error_reply('EXPIRED the caller has given up on this write; nothing was written')
end
local ARGV = {unpack(ARGV, 2)}
`;

/**
 * A Lua script that writes, and that writes nothing when it runs after the `deadline` of its
 * `run` (a Redis frozen past the command timeout runs it when it wakes): it fails with an
 * `EXPIRED` error instead, which `run` answers `UNAVAILABLE` like the timeout itself. So an
 * `UNAVAILABLE` answer means the write did not happen (see `RedisConnections.deadline`).
 *
 * @example
 * const incr = defineWriteScript(`return redis.call('INCR', KEYS[1])`);
 * await redis.run((client, deadline) => incr(client, ['counter'], [], deadline));
 */
export function defineWriteScript(lua: string) {
  const run = scriptRunner(DEADLINE_CHECK + lua);
  return (client: RedisClient, keys: readonly string[], args: ScriptArgs, deadline: Deadline): Promise<unknown> =>
    run(client, keys, () => [deadline(), ...args]);
}

/**
 * An ioredis `Cluster` on the target's seed nodes, each node connection made with `options`.
 * Reads and writes go to masters (a replica may lag); `sub` subscribes through one sharded
 * subscriber per master, as SSUBSCRIBE needs the shard owning the channel's slot.
 */
function clusterClient(target: RedisTarget, options: RedisOptions, subscriber: boolean): Cluster {
  const { enableOfflineQueue, enableReadyCheck, retryStrategy, ...perNode } = options;
  const clusterOptions: ClusterOptions = {
    scaleReads: 'master',
    enableOfflineQueue: enableOfflineQueue ?? true,
    enableReadyCheck: enableReadyCheck ?? true,
    shardedSubscribers: subscriber,
    // Reconnecting the whole cluster: the same back-off as a single Redis.
    clusterRetryStrategy: (attempt) => retryStrategy?.(attempt) ?? 2_000,
    // A failover: retry a command refused while a replica takes over, within its timeout.
    retryDelayOnFailover: 100,
    retryDelayOnClusterDown: 100,
    retryDelayOnTryAgain: 100,
    slotsRefreshTimeout: 1_000,
    redisOptions: {
      ...perNode,
      ...(target.username !== undefined && { username: target.username }),
      ...(target.password !== undefined && { password: target.password }),
      ...(target.tls && { tls: {} }),
    },
  };
  return new Cluster(target.nodes, clusterOptions);
}
