/**
 * JSON records changed by compare-and-set: `update` reads, applies a pure change, and writes
 * only if nobody wrote in between (retrying otherwise), so members acting from several
 * nodes never lose an update. In memory for one node, in Redis (a Lua CAS) for a cluster.
 *
 * Every record expires `ttlMs` after its last write or `touch`, in Redis by the key's own
 * TTL, so a record that no node ever touches again (its node crashed, its members vanished)
 * is gone by itself; in memory, expired records are dropped as the store is used.
 *
 * @example
 * const lobbies = createRecordStore<LobbyRecord>(redis, 'lobby', { ttlMs: 3_600_000 });
 * await lobbies.update(id, (lobby) => lobby && { ...lobby, hostId: next });
 */
import { AppError } from './app-error.js';
import { defineScript, defineWriteScript, type RedisConnections } from './redis.js';

export interface RecordStoreOptions {
  /** A record is gone this long (ms) after its last write or `touch`. */
  ttlMs: number;
  /** Keep an index of the ids for `ids()` (a sorted set by expiry in Redis). @default false */
  indexed?: boolean;
}

export interface RecordStore<T> {
  get(id: string): Promise<T | null>;
  /**
   * `change` may run more than once and must have no side effects; null deletes. Returning
   * the record it was given unchanged writes nothing (and does not push the expiry).
   */
  update(id: string, change: (current: T | null) => T | null): Promise<T | null>;
  /** Pushes the record's expiry to `ttlMs` from now; resolves with it, or null when there is none. */
  touch(id: string): Promise<T | null>;
}

export interface IndexedRecordStore<T> extends RecordStore<T> {
  /** Ids of every record not yet expired (for sweeps over a small set, such as matchmaking queues). */
  ids(): Promise<string[]>;
}

const parse = <T>(raw: string) => JSON.parse(raw) as T;

class MemoryRecordStore<T> implements IndexedRecordStore<T> {
  /**
   * Records in the order of their expiry: every store has one TTL, so a write that moves the
   * record to the end of the map keeps the map sorted, and a sweep stops at the first live one.
   */
  private readonly records = new Map<string, { raw: string; expiresAt: number }>();

  constructor(private readonly ttlMs: number) {}

  private sweep(): void {
    const now = Date.now();
    for (const [id, record] of this.records) {
      if (record.expiresAt > now) return;
      this.records.delete(id);
    }
  }

  private put(id: string, raw: string): void {
    this.records.delete(id);
    this.records.set(id, { raw, expiresAt: Date.now() + this.ttlMs });
  }

  async get(id: string) {
    this.sweep();
    const record = this.records.get(id);
    return record === undefined ? null : parse<T>(record.raw);
  }

  async update(id: string, change: (current: T | null) => T | null) {
    // Copy in and out, as Redis would: callers never share objects with the store.
    const current = await this.get(id);
    const next = change(current);
    if (next === current) return current;
    if (next === null) {
      this.records.delete(id);
      return null;
    }
    const raw = JSON.stringify(next);
    this.put(id, raw);
    return parse<T>(raw);
  }

  async touch(id: string) {
    this.sweep();
    const record = this.records.get(id);
    if (record === undefined) return null;
    this.put(id, record.raw);
    return parse<T>(record.raw);
  }

  async ids() {
    this.sweep();
    return [...this.records.keys()];
  }
}

/** Lua: `now` in ms by the Redis clock, so that every node scores the index alike. */
const NOW = `local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)`;

/**
 * KEYS: index. ARGV: id, ttl ms. Scores the id by its expiry; the index lives as long as its
 * newest id. Its own step, not part of the record's: on a Redis Cluster the record and the
 * index are in different slots.
 */
const INDEX = defineScript(`
${NOW}
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`);

/** KEYS: record. ARGV: ttl ms, expected json ('' = absent), new json ('' = delete). */
const CAS = defineWriteScript(`
local current = redis.call('GET', KEYS[1]) or ''
if current ~= ARGV[2] then return 0 end
if ARGV[3] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[1]) end
return 1
`);

/** KEYS: record. ARGV: ttl ms. Returns the record (or nil) and pushes its expiry. */
const TOUCH = defineScript(`
local current = redis.call('GET', KEYS[1])
if not current then return false end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return current
`);

/** KEYS: index. Drops the ids whose records expired; returns the others. */
const IDS = defineScript(`
${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZRANGE', KEYS[1], 0, -1)
`);

/**
 * Redis layout (prefix p): `p <kind>:record:<id>` the JSON with its TTL, and for an indexed
 * kind `p <kind>:index`, a sorted set of ids by expiry. The index is written after its record
 * (and an id dropped after its record is deleted), so `ids()` may list an id whose record has
 * just gone (callers read the record and skip a null) and a write interrupted between the two
 * steps leaves its record out of `ids()` until its next write or touch. One index per kind is
 * one slot on a cluster: only the matchmaking queue has one, swept by the single matcher that
 * holds the lease, with one write per ticket change, so the slot's load is that of the queue.
 */
class RedisRecordStore<T> implements IndexedRecordStore<T> {
  constructor(
    private readonly redis: RedisConnections,
    private readonly kind: string,
    private readonly options: RecordStoreOptions,
  ) {}

  private record(id: string): string {
    return this.redis.key(this.kind, 'record', id);
  }

  private index(): string {
    return this.redis.key(this.kind, 'index');
  }

  async get(id: string) {
    const raw = await this.redis.run((client) => client.get(this.record(id)));
    return raw === null ? null : parse<T>(raw);
  }

  async update(id: string, change: (current: T | null) => T | null) {
    for (let attempt = 0; attempt < 50; attempt++) {
      const raw = (await this.redis.run((client) => client.get(this.record(id)))) ?? '';
      const current = raw === '' ? null : parse<T>(raw);
      const next = change(current);
      if (next === current) return current;
      const written = await this.redis.run(async (client, deadline) => {
        const done = await CAS(client, [this.record(id)], [this.options.ttlMs, raw, next === null ? '' : JSON.stringify(next)], deadline);
        if (done !== 1 || !this.options.indexed) return done;
        await (next === null ? client.zrem(this.index(), id) : INDEX(client, [this.index()], [id, this.options.ttlMs]));
        return done;
      });
      if (written === 1) return next;
    }
    throw new Error(`${this.kind} ${id} kept changing; gave up`);
  }

  async touch(id: string) {
    const raw = await this.redis.run(async (client) => {
      const found = (await TOUCH(client, [this.record(id)], [this.options.ttlMs])) as string | null;
      if (found !== null && this.options.indexed) await INDEX(client, [this.index()], [id, this.options.ttlMs]);
      return found;
    });
    return raw === null ? null : parse<T>(raw);
  }

  async ids() {
    if (!this.options.indexed) throw new Error(`the ${this.kind} record store keeps no index`);
    return (await this.redis.run((client) => IDS(client, [this.index()], []))) as string[];
  }
}

/** A store of `kind` records (`kind` names their Redis keys), in Redis when `redis` is given, else in memory. */
export function createRecordStore<T>(redis: RedisConnections | null, kind: string, options: RecordStoreOptions & { indexed: true }): IndexedRecordStore<T>;
export function createRecordStore<T>(redis: RedisConnections | null, kind: string, options: RecordStoreOptions): RecordStore<T>;
export function createRecordStore<T>(redis: RedisConnections | null, kind: string, options: RecordStoreOptions): IndexedRecordStore<T> {
  if (!Number.isInteger(options.ttlMs) || options.ttlMs < 1) throw new Error(`the ${kind} record store needs a ttlMs of whole milliseconds, not ${options.ttlMs}`);
  return redis ? new RedisRecordStore<T>(redis, kind, options) : new MemoryRecordStore<T>(options.ttlMs);
}

/**
 * Updates a record whose change may refuse: `apply` throws an `AppError` and nothing is
 * written; the error reaches the caller. A missing record is `missing()`.
 */
export async function updateOrRefuse<T>(store: RecordStore<T>, id: string, missing: () => AppError, apply: (current: T) => T | null): Promise<T | null> {
  let refusal: AppError | null = null;
  const updated = await store.update(id, (current) => {
    refusal = null;
    if (current === null) {
      refusal = missing();
      return null;
    }
    try {
      return apply(current);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      refusal = error;
      return current;
    }
  });
  if (refusal) throw refusal;
  return updated;
}
