/**
 * Combat sessions as JSON records changed by compare-and-set (so two nodes never resolve the
 * same turn twice), a deadline index every node sweeps, and each user's active session.
 */
import { defineWriteScript, type RedisConnections } from '../../api.js';
import { reviveSession, type Session } from './engine.js';

export interface CombatStore {
  get(sessionId: string): Promise<Session | null>;
  /** Writes `next` only if the stored session is still at `expectedTurn`; false otherwise. */
  replace(sessionId: string, expectedTurn: number | null, next: Session): Promise<boolean>;
  /** Sessions whose turn deadline has passed. */
  overdue(now: number): Promise<string[]>;
  sessionOf(userId: string): Promise<string | null>;
  setSessionOf(userIds: readonly string[], sessionId: string | null): Promise<void>;
}

export class MemoryCombatStore implements CombatStore {
  private readonly sessions = new Map<string, string>();
  private readonly users = new Map<string, string>();

  async get(sessionId: string) {
    const raw = this.sessions.get(sessionId);
    return raw ? reviveSession(raw) : null;
  }

  async replace(sessionId: string, expectedTurn: number | null, next: Session) {
    const raw = this.sessions.get(sessionId);
    const turn = raw ? (JSON.parse(raw) as Session).state.turn : null;
    if (turn !== expectedTurn) return false;
    this.sessions.set(sessionId, JSON.stringify(next));
    return true;
  }

  async overdue(now: number) {
    const due: string[] = [];
    for (const [id, raw] of this.sessions) {
      const { state } = JSON.parse(raw) as Session;
      if (state.status === 'active' && state.deadline !== null && state.deadline <= now) due.push(id);
    }
    return due;
  }

  async sessionOf(userId: string) {
    return this.users.get(userId) ?? null;
  }

  async setSessionOf(userIds: readonly string[], sessionId: string | null) {
    for (const userId of userIds) {
      if (sessionId) this.users.set(userId, sessionId);
      else this.users.delete(userId);
    }
  }
}

/**
 * KEYS: session. ARGV: expected turn ('' = absent), json. Only the session: its deadline is
 * in the `deadlines` sorted set, in another slot on a Redis Cluster, and written apart.
 */
const REPLACE = defineWriteScript(`
local current = redis.call('GET', KEYS[1])
local turn = ''
if current then turn = tostring(cjson.decode(current).state.turn) end
if turn ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', 86400)
return 1
`);

export class RedisCombatStore implements CombatStore {
  constructor(private readonly redis: RedisConnections) {}

  private key = (...parts: string[]) => this.redis.key('combat', ...parts);

  async get(sessionId: string) {
    const raw = await this.redis.run((client) => client.get(this.key('session', sessionId)));
    return raw ? reviveSession(raw) : null;
  }

  /**
   * A new deadline is scored before the session is written, and a session without one is
   * dropped from `deadlines` after: whatever step is lost, the sweep finds every session
   * that has a deadline (it reads the session and skips one not due), and the session's next
   * write sets its entry right, as the entry is the session id.
   */
  async replace(sessionId: string, expectedTurn: number | null, next: Session) {
    const deadline = next.state.status === 'active' && next.state.deadline !== null ? next.state.deadline : null;
    return this.redis.run(async (client, runBy) => {
      if (deadline !== null) await client.zadd(this.key('deadlines'), deadline, sessionId);
      const written = await REPLACE(client, [this.key('session', sessionId)], [expectedTurn === null ? '' : String(expectedTurn), JSON.stringify(next)], runBy);
      if (written === 1 && deadline === null) await client.zrem(this.key('deadlines'), sessionId);
      return written === 1;
    });
  }

  async overdue(now: number) {
    return this.redis.run((client) => client.zrangebyscore(this.key('deadlines'), '-inf', now));
  }

  async sessionOf(userId: string) {
    return this.redis.run((client) => client.get(this.key('user', userId)));
  }

  async setSessionOf(userIds: readonly string[], sessionId: string | null) {
    if (userIds.length === 0) return;
    // One key per user, each in its own slot on a cluster: sent together, not as one transaction.
    await this.redis.run((client) =>
      Promise.all(userIds.map((userId) => (sessionId ? client.set(this.key('user', userId), sessionId, 'EX', 86400) : client.del(this.key('user', userId))))),
    );
  }
}
