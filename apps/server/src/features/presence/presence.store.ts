/** What each user chose (status, activity) and what watchers were last told. */
import { defineScript, type RedisConnections } from '../../api.js';

/** KEYS: presence hashes (of one slot on a cluster). The HGETALL of each, in one call. */
const GET_ALL = defineScript(`
local out = {}
for i, key in ipairs(KEYS) do out[i] = redis.call('HGETALL', key) end
return out
`);

/** KEYS: presence hashes (of one slot on a cluster). ARGV: the fields of each as a JSON object. Writes only the hashes that are missing. */
const RESTORE = defineScript(`
for i, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 0 then
    for field, value in pairs(cjson.decode(ARGV[i])) do redis.call('HSET', key, field, value) end
  end
end
return 0
`);

/** KEYS: a user's presence hash. ARGV: the status to announce. Sets `announced`; returns what it was (nil: never set). */
const ANNOUNCE = defineScript(`
local old = redis.call('HGET', KEYS[1], 'announced')
if old ~= ARGV[1] then redis.call('HSET', KEYS[1], 'announced', ARGV[1]) end
return old
`);

/** Keys per RESTORE round trip, so that restoring a busy node does not hold Redis for long. */
const RESTORE_BATCH = 500;

export type ChosenStatus = 'online' | 'away' | 'busy' | 'invisible';
export type VisibleStatus = 'online' | 'away' | 'busy' | 'offline';

export interface PresenceEntry {
  status: ChosenStatus;
  activity: string | null;
  lastSeen: number | null;
  /** What watchers last heard, so that no node repeats it (no flicker across nodes). */
  announced: VisibleStatus;
  /** Set when the server, not the user, made the status `away`. */
  autoAway: boolean;
}

export const DEFAULT_ENTRY: PresenceEntry = { status: 'online', activity: null, lastSeen: null, announced: 'offline', autoAway: false };

export interface PresenceStore {
  get(userIds: readonly string[]): Promise<Map<string, PresenceEntry>>;
  update(userId: string, change: Partial<PresenceEntry>): Promise<void>;
  /** Sets `announced` to `next` unless it already is; true when this call changed it. */
  announce(userId: string, next: VisibleStatus): Promise<boolean>;
  /** Writes each entry back unless its user has one already (Redis lost its data). */
  restore(entries: ReadonlyMap<string, PresenceEntry>): Promise<void>;
  /**
   * A count of the writes so far, for a store whose every write is made through this object (in
   * memory): unchanged, so are its entries. Absent when other nodes write too (Redis).
   */
  readonly writes?: () => number;
}

/** The hash fields of a change: booleans as 1/0, nulls as fields to remove. */
function encode(change: Partial<PresenceEntry>): { fields: Record<string, string>; removed: string[] } {
  const fields: Record<string, string> = {};
  const removed: string[] = [];
  for (const [field, value] of Object.entries(change)) {
    if (value === null) removed.push(field);
    else fields[field] = typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
  }
  return { fields, removed };
}

export class MemoryPresenceStore implements PresenceStore {
  private readonly entries = new Map<string, PresenceEntry>();
  private written = 0;

  readonly writes = () => this.written;

  async get(userIds: readonly string[]) {
    const found = new Map<string, PresenceEntry>();
    for (const userId of userIds) found.set(userId, this.entries.get(userId) ?? DEFAULT_ENTRY);
    return found;
  }

  async update(userId: string, change: Partial<PresenceEntry>): Promise<void> {
    this.written++;
    this.entries.set(userId, { ...(this.entries.get(userId) ?? DEFAULT_ENTRY), ...change });
  }

  async announce(userId: string, next: VisibleStatus): Promise<boolean> {
    const entry = this.entries.get(userId) ?? DEFAULT_ENTRY;
    if (entry.announced === next) return false;
    this.written++;
    this.entries.set(userId, { ...entry, announced: next });
    return true;
  }

  async restore(entries: ReadonlyMap<string, PresenceEntry>): Promise<void> {
    this.written++;
    for (const [userId, entry] of entries) if (!this.entries.has(userId)) this.entries.set(userId, entry);
  }
}

export class RedisPresenceStore implements PresenceStore {
  constructor(private readonly redis: RedisConnections) {}

  private key(userId: string): string {
    return this.redis.key('presence', userId);
  }

  /** Every entry in one round trip: one script call on a single Redis, one per slot (sent together) on a cluster. */
  async get(userIds: readonly string[]) {
    if (userIds.length === 0) return new Map<string, PresenceEntry>();
    const keys = userIds.map((userId) => this.key(userId));
    const replies = await this.redis.run((client) => this.redis.eachSlot(keys, (group) => GET_ALL(client, group.map((i) => keys[i]!), []) as Promise<string[][]>));
    return new Map(
      userIds.map((userId, i) => {
        const flat = replies[i] ?? [];
        const raw = new Map<string, string>();
        for (let j = 0; j + 1 < flat.length; j += 2) raw.set(flat[j]!, flat[j + 1]!);
        const entry: PresenceEntry = {
          status: (raw.get('status') as ChosenStatus | undefined) ?? DEFAULT_ENTRY.status,
          activity: raw.get('activity') ?? null,
          lastSeen: raw.has('lastSeen') ? Number(raw.get('lastSeen')) : null,
          announced: (raw.get('announced') as VisibleStatus | undefined) ?? DEFAULT_ENTRY.announced,
          autoAway: raw.get('autoAway') === '1',
        };
        return [userId, entry] as const;
      }),
    );
  }

  async update(userId: string, change: Partial<PresenceEntry>): Promise<void> {
    const { fields, removed } = encode(change);
    const key = this.key(userId);
    const setting = Object.keys(fields).length > 0;
    await this.redis.run(async (client) => {
      // One command needs no MULTI: alone it is atomic, and it joins the tick's pipeline
      // (a disconnect's lastSeen is one HSET; a MULTI is a write of its own).
      if (setting && removed.length > 0) await client.multi().hset(key, fields).hdel(key, ...removed).exec();
      else if (setting) await client.hset(key, fields);
      else if (removed.length > 0) await client.hdel(key, ...removed);
    });
  }

  async announce(userId: string, next: VisibleStatus): Promise<boolean> {
    // One script, not MULTI/HGET/HSET/EXEC: a handshake announces, so this is four commands fewer on each.
    const previous = (await this.redis.run((client) => ANNOUNCE(client, [this.key(userId)], [next]))) as string | null;
    return (previous ?? DEFAULT_ENTRY.announced) !== next;
  }

  async restore(entries: ReadonlyMap<string, PresenceEntry>): Promise<void> {
    const all = [...entries];
    for (let start = 0; start < all.length; start += RESTORE_BATCH) {
      const batch = all.slice(start, start + RESTORE_BATCH);
      const keys = batch.map(([userId]) => this.key(userId));
      await this.redis.run((client) =>
        this.redis.eachSlot(keys, async (group) => {
          await RESTORE(client, group.map((i) => keys[i]!), group.map((i) => JSON.stringify(encode(batch[i]![1]).fields)));
          return [];
        }),
      );
    }
  }
}
