/**
 * Revoked tokens: one token by `jti`, or every token of a user issued before the
 * revocation. An entry is kept until `until` (when the revoked tokens have expired anyway).
 */
import { defineScript, type RedisConnections } from '../platform/redis.js';
import type { AuthUser } from '../transport/socket-types.js';

export interface Revocation {
  jti?: string;
  userId?: string;
  /** Epoch ms at which the revocation was made. */
  revokedAt: number;
  /** Epoch ms after which the entry is forgotten. */
  until: number;
}

export interface RevocationStore {
  revoke(revocation: Revocation): Promise<void>;
  /** The entries that apply to this token's jti and user, if any. */
  find(jti: string | null, userId: string): Promise<Revocation[]>;
  /** All entries still in force. */
  list(now: number): Promise<Revocation[]>;
  /** Writes entries back (Redis lost its data), except where the store holds a later one for the same token or user. */
  restore(revocations: readonly Revocation[]): Promise<void>;
}

/** Whether a revocation applies to a token of `user`. */
export function revokes(revocation: Revocation, user: AuthUser, now: number): boolean {
  if (revocation.until <= now) return false;
  if (revocation.jti !== undefined) return revocation.jti === user.jti;
  if (revocation.userId !== user.userId) return false;
  // A user-wide revocation voids the tokens issued up to that moment, not later ones.
  return user.issuedAt === null || user.issuedAt * 1000 <= revocation.revokedAt;
}

const fieldOf = (revocation: Pick<Revocation, 'jti' | 'userId'>) =>
  revocation.jti !== undefined ? `jti:${revocation.jti}` : `user:${revocation.userId}`;

/** The entries still in force, one per token or user: the latest revocation of each. */
export function latestRevocations(entries: Iterable<Revocation>, now: number): Revocation[] {
  const latest = new Map<string, Revocation>();
  for (const entry of entries) {
    if (entry.until <= now) continue;
    const kept = latest.get(fieldOf(entry));
    if (!kept || kept.revokedAt < entry.revokedAt) latest.set(fieldOf(entry), entry);
  }
  return [...latest.values()];
}

/** KEYS: the revocations hash. ARGV: field, revokedAt, JSON per entry. Keeps the later revocation of a field. */
const RESTORE = defineScript(`
for i = 1, #ARGV, 3 do
  local old = redis.call('HGET', KEYS[1], ARGV[i])
  if not old or cjson.decode(old).revokedAt < tonumber(ARGV[i + 1]) then redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 2]) end
end
return 0
`);

export class MemoryRevocationStore implements RevocationStore {
  private readonly entries = new Map<string, Revocation>();

  async revoke(revocation: Revocation): Promise<void> {
    this.entries.set(fieldOf(revocation), revocation);
  }

  async find(jti: string | null, userId: string): Promise<Revocation[]> {
    const found = [this.entries.get(`user:${userId}`)];
    if (jti !== null) found.push(this.entries.get(`jti:${jti}`));
    return found.filter((entry): entry is Revocation => entry !== undefined);
  }

  async list(now: number): Promise<Revocation[]> {
    for (const [field, entry] of this.entries) if (entry.until <= now) this.entries.delete(field);
    return [...this.entries.values()];
  }

  async restore(revocations: readonly Revocation[]): Promise<void> {
    for (const entry of latestRevocations([...this.entries.values(), ...revocations], Date.now())) this.entries.set(fieldOf(entry), entry);
  }
}

export class RedisRevocationStore implements RevocationStore {
  constructor(private readonly redis: RedisConnections) {}

  private get key(): string {
    return this.redis.key('revocations');
  }

  async revoke(revocation: Revocation): Promise<void> {
    await this.redis.run((client) => client.hset(this.key, fieldOf(revocation), JSON.stringify(revocation)));
  }

  async find(jti: string | null, userId: string): Promise<Revocation[]> {
    const fields = jti === null ? [`user:${userId}`] : [`user:${userId}`, `jti:${jti}`];
    const values = await this.redis.run((client) => client.hmget(this.key, ...fields));
    return values.filter((value): value is string => value !== null).map((value) => JSON.parse(value) as Revocation);
  }

  async list(now: number): Promise<Revocation[]> {
    return this.redis.run(async (client) => {
      const all = await client.hgetall(this.key);
      const active: Revocation[] = [];
      const expired: string[] = [];
      for (const [field, value] of Object.entries(all)) {
        const entry = JSON.parse(value) as Revocation;
        if (entry.until <= now) expired.push(field);
        else active.push(entry);
      }
      if (expired.length > 0) await client.hdel(this.key, ...expired);
      return active;
    });
  }

  async restore(revocations: readonly Revocation[]): Promise<void> {
    if (revocations.length === 0) return;
    const args = revocations.flatMap((entry) => [fieldOf(entry), entry.revokedAt, JSON.stringify(entry)]);
    await this.redis.run((client) => RESTORE(client, [this.key], args));
  }
}
