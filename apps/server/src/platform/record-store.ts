/**
 * JSON records changed by compare-and-set: `update` reads, applies a pure change, and writes
 * only if nobody wrote in between (retrying otherwise), so members acting from several
 * nodes never lose an update. In memory for one node, in Redis (a Lua CAS) for a cluster.
 *
 * @example
 * const lobbies = createRecordStore<LobbyRecord>(redis, 'lobby');
 * await lobbies.update(id, (lobby) => lobby && { ...lobby, hostId: next });
 */
import { AppError } from './app-error.js';
import { defineScript, type RedisConnections } from './redis.js';

export interface RecordStore<T> {
  get(id: string): Promise<T | null>;
  /** `change` may run more than once and must have no side effects; null deletes. */
  update(id: string, change: (current: T | null) => T | null): Promise<T | null>;
  /** Ids of every record (for sweeps over a small set, such as matchmaking queues). */
  ids(): Promise<string[]>;
}

class MemoryRecordStore<T> implements RecordStore<T> {
  private readonly records = new Map<string, string>();

  async get(id: string) {
    const raw = this.records.get(id);
    return raw === undefined ? null : (JSON.parse(raw) as T);
  }

  async update(id: string, change: (current: T | null) => T | null) {
    // Copy in and out, as Redis would: callers never share objects with the store.
    const next = change(await this.get(id));
    if (next === null) this.records.delete(id);
    else this.records.set(id, JSON.stringify(next));
    return next === null ? null : (JSON.parse(JSON.stringify(next)) as T);
  }

  async ids() {
    return [...this.records.keys()];
  }
}

/** KEYS: record, index set. ARGV: id, expected json ('' = absent), new json ('' = delete). */
const CAS = defineScript(`
local current = redis.call('GET', KEYS[1]) or ''
if current ~= ARGV[2] then return 0 end
if ARGV[3] == '' then
  redis.call('DEL', KEYS[1])
  redis.call('SREM', KEYS[2], ARGV[1])
else
  redis.call('SET', KEYS[1], ARGV[3])
  redis.call('SADD', KEYS[2], ARGV[1])
end
return 1
`);

class RedisRecordStore<T> implements RecordStore<T> {
  constructor(
    private readonly redis: RedisConnections,
    private readonly kind: string,
  ) {}

  private key(id: string) {
    return this.redis.key(this.kind, 'record', id);
  }

  async get(id: string) {
    const raw = await this.redis.run((client) => client.get(this.key(id)));
    return raw === null ? null : (JSON.parse(raw) as T);
  }

  async update(id: string, change: (current: T | null) => T | null) {
    for (let attempt = 0; attempt < 50; attempt++) {
      const raw = (await this.redis.run((client) => client.get(this.key(id)))) ?? '';
      const next = change(raw === '' ? null : (JSON.parse(raw) as T));
      const written = await this.redis.run((client) => CAS(client, [this.key(id), this.redis.key(this.kind, 'ids')], [id, raw, next === null ? '' : JSON.stringify(next)]));
      if (written === 1) return next;
    }
    throw new Error(`${this.kind} ${id} kept changing; gave up`);
  }

  async ids() {
    return this.redis.run((client) => client.smembers(this.redis.key(this.kind, 'ids')));
  }
}

export function createRecordStore<T>(redis: RedisConnections | null, kind: string): RecordStore<T> {
  return redis ? new RedisRecordStore<T>(redis, kind) : new MemoryRecordStore<T>();
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
