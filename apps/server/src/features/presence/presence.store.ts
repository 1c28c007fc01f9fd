/** What each user chose (status, activity) and what watchers were last told. */
import type { RedisConnections } from '../../api.js';

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
}

export class MemoryPresenceStore implements PresenceStore {
  private readonly entries = new Map<string, PresenceEntry>();

  async get(userIds: readonly string[]) {
    return new Map(userIds.map((userId) => [userId, this.entries.get(userId) ?? DEFAULT_ENTRY] as const));
  }

  async update(userId: string, change: Partial<PresenceEntry>): Promise<void> {
    this.entries.set(userId, { ...(this.entries.get(userId) ?? DEFAULT_ENTRY), ...change });
  }

  async announce(userId: string, next: VisibleStatus): Promise<boolean> {
    const entry = this.entries.get(userId) ?? DEFAULT_ENTRY;
    if (entry.announced === next) return false;
    this.entries.set(userId, { ...entry, announced: next });
    return true;
  }
}

export class RedisPresenceStore implements PresenceStore {
  constructor(private readonly redis: RedisConnections) {}

  private key(userId: string): string {
    return this.redis.key('presence', userId);
  }

  async get(userIds: readonly string[]) {
    return this.redis.run(async (client) => {
      const pipeline = client.pipeline();
      for (const userId of userIds) pipeline.hgetall(this.key(userId));
      const results = (await pipeline.exec()) ?? [];
      return new Map(
        userIds.map((userId, i) => {
          const raw = (results[i]?.[1] ?? {}) as Record<string, string>;
          const entry: PresenceEntry = {
            status: (raw['status'] as ChosenStatus | undefined) ?? DEFAULT_ENTRY.status,
            activity: raw['activity'] ?? null,
            lastSeen: raw['lastSeen'] ? Number(raw['lastSeen']) : null,
            announced: (raw['announced'] as VisibleStatus | undefined) ?? DEFAULT_ENTRY.announced,
            autoAway: raw['autoAway'] === '1',
          };
          return [userId, entry] as const;
        }),
      );
    });
  }

  async update(userId: string, change: Partial<PresenceEntry>): Promise<void> {
    const fields: Record<string, string> = {};
    const removed: string[] = [];
    for (const [field, value] of Object.entries(change)) {
      if (value === null) removed.push(field);
      else fields[field] = typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
    }
    await this.redis.run(async (client) => {
      const multi = client.multi();
      if (Object.keys(fields).length > 0) multi.hset(this.key(userId), fields);
      if (removed.length > 0) multi.hdel(this.key(userId), ...removed);
      await multi.exec();
    });
  }

  async announce(userId: string, next: VisibleStatus): Promise<boolean> {
    const previous = await this.redis.run(async (client) => {
      const [[, old]] = (await client.multi().hget(this.key(userId), 'announced').hset(this.key(userId), 'announced', next).exec()) as [[null, string | null]];
      return old ?? DEFAULT_ENTRY.announced;
    });
    return previous !== next;
  }
}
