/**
 * Token buckets that hold across the cluster: per IP (handshakes), per user (event rates over
 * all of a user's sockets) and per channel (chat). One primitive for all three.
 *
 * Redis holds the truth: one hash per key (`rl:{<scope>:<key>}`, hash-tagged so a Redis Cluster
 * keeps it in one slot), a bucket per rule in it. Each node holds a mirror of the buckets of the
 * keys it sees and decides from it synchronously: an event never waits for Redis. The node
 * reports what it spent (a write script that refills the bucket by Redis's clock, subtracts the
 * spends, possibly below zero, and returns the level) and replaces its mirror with the answer.
 * A key's spends are reported every `syncMs` (100 ms by default), and at once when they reach
 * the rule's `credit`: a node never has more than `credit` tokens of a bucket spent and not yet
 * charged. Past the credit, `take` answers `LIMIT_PENDING`: `acquire` (async callers:
 * handshakes, chat) waits for the report in flight, the dispatcher refuses.
 *
 * The slack, exactly: every accepted token is charged to Redis (a refused report excepted, see
 * below), and a node spends only while its mirror, the level Redis last gave it, holds a token.
 * Spends other nodes made since that answer are what it cannot see, and no node has more than
 * `credit` of them. So over any window of W seconds a bucket accepts at most
 * `burst + ratePerSec * W + nodes * credit`, and when nodes overshoot, the bucket goes below zero
 * and they wait until the debt is refilled: the long-run rate is exact.
 *
 * Redis cost: per key with spends, at most one script call per node every `syncMs`, plus one per
 * `credit` tokens spent in between; never one per event unless the credit is 1. An idle key
 * costs nothing; its mirror is dropped once it would be full again.
 *
 * While Redis is unreachable (`healthy` false) each node enforces the full limit on its own
 * (its mirror refills locally at the full rate), so N nodes allow up to N times the limit; spends
 * of that time are never charged. A failed report drops its spends too (at most `credit` per key
 * and node). Until a frozen Redis is found out, a report stuck in it holds the node to its credit
 * for that key; the report fails at the command timeout and the node goes on alone. When Redis answers again, the next report of a key brings back the shared level.
 *
 * Without Redis (one node in memory) the mirror is the bucket itself: exactly a local limit.
 */
import type { RateLimitRule } from '../config.js';
import type { Logger } from '../platform/logger.js';
import { defineWriteScript, type RedisConnections } from '../platform/redis.js';

/** `take` found the node's credit for the bucket spent while a report is in flight. */
export const LIMIT_PENDING = -1;

export interface LimitRule extends RateLimitRule {
  /** Names the rule's bucket in the key's hash; unique within one limiter. */
  readonly name: string;
  /**
   * Tokens a node may spend before Redis has charged them (at least 1).
   * @default a tenth of the burst, rounded up
   */
  readonly credit?: number;
}

export interface DistributedLimiterOptions {
  /** The kind of key, in the Redis key: `rl:{<scope>:<key>}`. */
  readonly scope: string;
  readonly rules: readonly LimitRule[];
  /** Null: one node, local buckets only. */
  readonly redis: RedisConnections | null;
  /** How often spends are reported. @default 100 */
  readonly syncMs?: number;
  readonly logger?: Logger;
  /** @default performance.now */
  readonly now?: () => number;
}

/** Per rule: the mirror's tokens, its last refill, spends not yet sent, spends in the report in flight. */
const SLOTS = 4;

/**
 * ARGV: the key's least TTL (ms), then per bucket its field, rate per ms, burst and spends. Refills by
 * Redis's clock (one clock for every node), charges, returns the levels as strings (Lua numbers
 * would be truncated to integers). The time of a bucket is kept in `<field>@`.
 */
const chargeScript = defineWriteScript(`
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local levels = {}
local ttl = tonumber(ARGV[1])
for i = 2, #ARGV, 4 do
  local field, rate, burst = ARGV[i], tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
  local stored = redis.call('HMGET', KEYS[1], field, field .. '@')
  local tokens = burst
  if stored[1] and stored[2] then
    tokens = math.min(burst, tonumber(stored[1]) + math.max(0, now - tonumber(stored[2])) * rate)
  end
  tokens = tokens - tonumber(ARGV[i + 3])
  redis.call('HSET', KEYS[1], field, tostring(tokens), field .. '@', tostring(now))
  levels[#levels + 1] = tostring(tokens)
  -- A bucket in debt lives until the debt is refilled too.
  ttl = math.max(ttl, math.ceil((burst - tokens) / rate) + 1000)
end
-- At most 30 days: a number Lua still prints as an integer.
redis.call('PEXPIRE', KEYS[1], math.min(ttl, 2592000000))
return levels
`);

interface Entry {
  readonly key: string;
  /** Made at the first report. */
  redisKey: string | null;
  readonly buckets: Float64Array;
  usedAt: number;
  /** In the queue of the next periodic report. */
  queued: boolean;
  flight: Promise<void> | null;
}

/**
 * @example
 * const perIp = new DistributedLimiter({ scope: 'ip', redis, rules: [{ name: 'handshake', ratePerSec: 3, burst: 30 }] });
 * const waitMs = await perIp.acquire(ip, 0); // 0: allowed, else the ms until a token is there
 */
export class DistributedLimiter {
  private readonly names: readonly string[];
  /** Tokens per ms. */
  private readonly rates: Float64Array;
  private readonly bursts: Float64Array;
  private readonly credits: Float64Array;
  private readonly entries = new Map<string, Entry>();
  private queue: Entry[] = [];
  private readonly redis: RedisConnections | null;
  private readonly scope: string;
  private readonly now: () => number;
  private readonly logger: Logger | undefined;
  /** The time a key's buckets take to fill from empty: its hash's least TTL, its mirror's least idle time. */
  private readonly refillMs: number;
  private readonly timer: NodeJS.Timeout;
  private ticks = 0;
  private readonly sweepEvery: number;
  private lastErrorLog = -Infinity;
  readonly syncMs: number;

  constructor(options: DistributedLimiterOptions) {
    const { rules } = options;
    this.scope = options.scope;
    this.redis = options.redis;
    this.now = options.now ?? (() => performance.now());
    this.logger = options.logger;
    this.syncMs = options.syncMs ?? 100;
    this.names = rules.map((rule) => rule.name);
    this.rates = Float64Array.from(rules, (rule) => rule.ratePerSec / 1000);
    this.bursts = Float64Array.from(rules, (rule) => rule.burst);
    this.credits = Float64Array.from(rules, (rule) => Math.max(1, Math.floor(rule.credit ?? Math.ceil(rule.burst / 10))));
    this.refillMs = Math.ceil(Math.max(...rules.map((rule) => (rule.burst / rule.ratePerSec) * 1000)));
    this.sweepEvery = Math.max(1, Math.round(1_000 / this.syncMs));
    this.timer = setInterval(() => this.tick(), this.syncMs);
    this.timer.unref();
  }

  /**
   * Takes a token of rule `index` for `key`: 0 when allowed, else the ms until the bucket has
   * one, or `LIMIT_PENDING` (see the header). Allocates nothing for a key it already holds.
   */
  take(key: string, index: number): number {
    const now = this.now();
    const entry = this.entries.get(key) ?? this.create(key, now);
    entry.usedAt = now;
    const buckets = entry.buckets;
    const base = index * SLOTS;
    const rate = this.rates[index]!;
    const tokens = Math.min(this.bursts[index]!, buckets[base]! + (now - buckets[base + 1]!) * rate);
    buckets[base] = tokens;
    buckets[base + 1] = now;
    if (tokens < 1) return Math.ceil((1 - tokens) / rate);
    if (this.redis !== null && this.redis.healthy) {
      const uncharged = buckets[base + 2]! + buckets[base + 3]! + 1;
      const credit = this.credits[index]!;
      if (uncharged > credit) {
        this.report(entry);
        return LIMIT_PENDING;
      }
      buckets[base + 2] = buckets[base + 2]! + 1;
      if (uncharged === credit) this.report(entry);
      else if (!entry.queued) {
        entry.queued = true;
        this.queue.push(entry);
      }
    }
    buckets[base] = tokens - 1;
    return 0;
  }

  /** `take`, waiting for the report in flight instead of answering `LIMIT_PENDING`. */
  async acquire(key: string, index: number): Promise<number> {
    for (;;) {
      const verdict = this.take(key, index);
      if (verdict !== LIMIT_PENDING) return verdict;
      await this.entries.get(key)?.flight;
    }
  }

  /** Keys with a mirror on this node. */
  get size(): number {
    return this.entries.size;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private create(key: string, now: number): Entry {
    const buckets = new Float64Array(this.rates.length * SLOTS);
    for (let i = 0; i < this.rates.length; i++) {
      buckets[i * SLOTS] = this.bursts[i]!;
      buckets[i * SLOTS + 1] = now;
    }
    const entry: Entry = { key, redisKey: null, buckets, usedAt: now, queued: false, flight: null };
    this.entries.set(key, entry);
    return entry;
  }

  private tick(): void {
    const queue = this.queue;
    this.queue = [];
    const shared = this.redis !== null && this.redis.healthy;
    for (const entry of queue) {
      entry.queued = false;
      if (shared) this.report(entry);
      else this.forget(entry);
    }
    if (++this.ticks % this.sweepEvery === 0) this.sweep();
  }

  /** Sends the key's unsent spends, unless a report of it is in flight (its answer queues the rest). */
  private report(entry: Entry): void {
    const redis = this.redis;
    if (entry.flight !== null || redis === null) return;
    const buckets = entry.buckets;
    const args: (string | number)[] = [this.refillMs + 1_000];
    const sent: number[] = [];
    for (let i = 0; i < this.rates.length; i++) {
      const base = i * SLOTS;
      const unsent = buckets[base + 2]!;
      if (unsent === 0) continue;
      buckets[base + 3] = unsent;
      buckets[base + 2] = 0;
      args.push(this.names[i]!, this.rates[i]!, this.bursts[i]!, unsent);
      sent.push(i);
    }
    if (sent.length === 0) return;
    const keys = [(entry.redisKey ??= redis.key('rl', `{${this.scope}:${entry.key}}`))];
    entry.flight = redis.run((client, deadline) => chargeScript(client, keys, args, deadline)).then(
      (levels) => this.settle(entry, sent, levels as string[]),
      (error: unknown) => this.fail(entry, sent, error),
    );
  }

  /** The mirror becomes Redis's level, less what this node spent while the report was out. */
  private settle(entry: Entry, sent: readonly number[], levels: readonly string[]): void {
    const now = this.now();
    const buckets = entry.buckets;
    for (let j = 0; j < sent.length; j++) {
      const base = sent[j]! * SLOTS;
      buckets[base] = Number(levels[j]) - buckets[base + 2]!;
      buckets[base + 1] = now;
      buckets[base + 3] = 0;
    }
    this.landed(entry);
  }

  /** Not charged (Redis down, the script past its deadline): those spends are dropped. */
  private fail(entry: Entry, sent: readonly number[], error: unknown): void {
    for (const index of sent) entry.buckets[index * SLOTS + 3] = 0;
    this.forget(entry);
    this.landed(entry);
    const now = this.now();
    if (this.redis?.healthy && now - this.lastErrorLog > 10_000) {
      this.lastErrorLog = now;
      this.logger?.warn({ err: error, scope: this.scope }, 'a rate limit report failed; its spends stay local');
    }
  }

  /** What was spent meanwhile goes at the next tick, or at once when it used up a credit. */
  private landed(entry: Entry): void {
    entry.flight = null;
    let unsent = false;
    for (let i = 0; i < this.rates.length; i++) {
      const spent = entry.buckets[i * SLOTS + 2]!;
      if (spent >= this.credits[i]!) return this.report(entry);
      unsent ||= spent > 0;
    }
    if (unsent && !entry.queued) {
      entry.queued = true;
      this.queue.push(entry);
    }
  }

  /** Drops spends not yet sent (Redis is unreachable: the limit is local meanwhile). */
  private forget(entry: Entry): void {
    for (let i = 0; i < this.rates.length; i++) entry.buckets[i * SLOTS + 2] = 0;
  }

  /** Drops the mirrors whose every bucket is full again (a bucket in debt takes longer). */
  private sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) {
      if (entry.flight === null && !entry.queued && now - entry.usedAt >= this.refillMs && this.full(entry, now)) this.entries.delete(key);
    }
  }

  private full(entry: Entry, now: number): boolean {
    const buckets = entry.buckets;
    for (let i = 0; i < this.rates.length; i++) {
      if (buckets[i * SLOTS]! + (now - buckets[i * SLOTS + 1]!) * this.rates[i]! < this.bursts[i]!) return false;
    }
    return true;
  }
}
