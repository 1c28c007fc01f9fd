/**
 * Which sockets each user has, on which node, cluster-wide; which nodes are alive; and
 * which session ids may be resumed. In memory for one process, in Redis for a cluster.
 */
import { defineScript, defineWriteScript, type RedisConnections } from '../platform/redis.js';

export interface SocketEntry {
  userId: string;
  socketId: string;
  nodeId: string;
}

export interface HeldSession {
  sessionId: string;
  userId: string;
  ttlMs: number;
}

export interface ConnectionStore {
  /** Adds a socket unless the user already has `maxPerUser` live sockets; false when refused. */
  add(entry: SocketEntry, maxPerUser: number): Promise<boolean>;
  remove(entry: SocketEntry): Promise<void>;
  /** The user's sockets on live nodes. */
  userSockets(userId: string): Promise<SocketEntry[]>;
  /** Which of these users have a socket on a live node: one round trip for all of them. */
  onlineUsers(userIds: readonly string[]): Promise<Set<string>>;
  /** Marks a node alive for `ttlMs`. */
  heartbeat(nodeId: string, ttlMs: number): Promise<void>;
  liveNodes(): Promise<string[]>;
  /**
   * Forgets the sockets of nodes that stopped heart-beating and returns them, so that
   * presence can turn their users offline. Runs on every node; each dead node is reaped once.
   */
  reapDeadNodes(): Promise<SocketEntry[]>;
  /** Re-adds a node's sockets without caps (after Redis came back, possibly empty). */
  restore(nodeId: string, entries: readonly SocketEntry[]): Promise<void>;
  /** A node that shuts down cleanly removes itself. */
  removeNode(nodeId: string): Promise<void>;
  /** Makes a session id resumable by `userId` for `ttlMs` (overwrites an earlier expiry). */
  saveSession(sessionId: string, userId: string, ttlMs: number): Promise<void>;
  /**
   * Saves the sessions of live sockets, in one round trip: what lets their clients resume on
   * another node if this one dies without a disconnect. A no-op in memory, where the process
   * that dies takes its sessions with it.
   */
  holdSessions(sessions: readonly HeldSession[]): Promise<void>;
  sessionOwner(sessionId: string): Promise<string | null>;
}

export class MemoryConnectionStore implements ConnectionStore {
  private readonly sockets = new Map<string, Map<string, SocketEntry>>();
  private readonly sessions = new Map<string, { userId: string; expiresAt: number }>();

  async add(entry: SocketEntry, maxPerUser: number): Promise<boolean> {
    let userSockets = this.sockets.get(entry.userId);
    if (!userSockets) this.sockets.set(entry.userId, (userSockets = new Map()));
    if (userSockets.size >= maxPerUser) return false;
    userSockets.set(entry.socketId, entry);
    return true;
  }

  async remove(entry: SocketEntry): Promise<void> {
    const userSockets = this.sockets.get(entry.userId);
    userSockets?.delete(entry.socketId);
    if (userSockets?.size === 0) this.sockets.delete(entry.userId);
  }

  async userSockets(userId: string): Promise<SocketEntry[]> {
    return [...(this.sockets.get(userId)?.values() ?? [])];
  }

  async onlineUsers(userIds: readonly string[]): Promise<Set<string>> {
    return new Set(userIds.filter((userId) => (this.sockets.get(userId)?.size ?? 0) > 0));
  }

  async heartbeat(): Promise<void> {}

  async liveNodes(): Promise<string[]> {
    const nodes = new Set<string>();
    for (const userSockets of this.sockets.values()) for (const entry of userSockets.values()) nodes.add(entry.nodeId);
    return [...nodes];
  }

  async reapDeadNodes(): Promise<SocketEntry[]> {
    return [];
  }

  async restore(_nodeId: string, entries: readonly SocketEntry[]): Promise<void> {
    for (const entry of entries) await this.add(entry, Number.POSITIVE_INFINITY);
  }

  async removeNode(nodeId: string): Promise<void> {
    for (const userSockets of this.sockets.values()) {
      for (const [socketId, entry] of userSockets) if (entry.nodeId === nodeId) userSockets.delete(socketId);
    }
  }

  async saveSession(sessionId: string, userId: string, ttlMs: number): Promise<void> {
    const now = Date.now();
    this.sessions.set(sessionId, { userId, expiresAt: now + ttlMs });
    if (this.sessions.size % 1024 === 0) {
      for (const [id, session] of this.sessions) if (session.expiresAt <= now) this.sessions.delete(id);
    }
  }

  async holdSessions(): Promise<void> {}

  async sessionOwner(sessionId: string): Promise<string | null> {
    const session = this.sessions.get(sessionId);
    if (!session || session.expiresAt <= Date.now()) return null;
    return session.userId;
  }
}

/*
 * Redis layout (prefix p):
 *   p node:<nodeId>            string with a TTL: the node is alive
 *   p nodes                    set of every node that registered sockets (to find dead ones)
 *   p node:<nodeId>:sockets    set of "<userId> <socketId>"
 *   p user:<userId>:sockets    hash socketId -> nodeId
 *   p session:<sessionId>      userId, with a TTL
 */

const ADD = defineWriteScript(`
local fields = redis.call('HGETALL', KEYS[1])
local live = 0
for i = 1, #fields, 2 do
  if redis.call('EXISTS', ARGV[5] .. 'node:' .. fields[i + 1]) == 1 then
    live = live + 1
  else
    redis.call('HDEL', KEYS[1], fields[i])
  end
end
if live >= tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[4] .. ' ' .. ARGV[1])
redis.call('SADD', KEYS[3], ARGV[2])
return 1
`);

/** KEYS: user socket hashes. ARGV: key prefix. 1 per user with a socket on a live node, else 0. */
const ONLINE = defineScript(`
local alive = {}
local out = {}
for i, key in ipairs(KEYS) do
  out[i] = 0
  for _, node in ipairs(redis.call('HVALS', key)) do
    if alive[node] == nil then alive[node] = redis.call('EXISTS', ARGV[1] .. 'node:' .. node) == 1 end
    if alive[node] then
      out[i] = 1
      break
    end
  end
end
return out
`);

const REAP = defineScript(`
local reaped = {}
for _, node in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. 'node:' .. node) == 0 then
    local setKey = ARGV[1] .. 'node:' .. node .. ':sockets'
    for _, member in ipairs(redis.call('SMEMBERS', setKey)) do
      local sep = string.find(member, ' ', 1, true)
      local userId = string.sub(member, 1, sep - 1)
      local socketId = string.sub(member, sep + 1)
      local userKey = ARGV[1] .. 'user:' .. userId .. ':sockets'
      if redis.call('HGET', userKey, socketId) == node then
        redis.call('HDEL', userKey, socketId)
      end
      table.insert(reaped, node .. ' ' .. member)
    end
    redis.call('DEL', setKey)
    redis.call('SREM', KEYS[1], node)
  end
end
return reaped
`);

export class RedisConnectionStore implements ConnectionStore {
  constructor(private readonly redis: RedisConnections) {}

  async add(entry: SocketEntry, maxPerUser: number): Promise<boolean> {
    const { key } = this;
    // A write script: an add the handshake gave up on is not made later (no ghost socket).
    const result = await this.redis.run((client, deadline) =>
      ADD(
        client,
        [key(`user:${entry.userId}:sockets`), key(`node:${entry.nodeId}:sockets`), key('nodes')],
        [entry.socketId, entry.nodeId, Math.min(maxPerUser, 1_000_000), entry.userId, this.redis.keyPrefix],
        deadline,
      ),
    );
    return result === 1;
  }

  async remove(entry: SocketEntry): Promise<void> {
    await this.redis.run((client) =>
      client
        .multi()
        .hdel(this.key(`user:${entry.userId}:sockets`), entry.socketId)
        .srem(this.key(`node:${entry.nodeId}:sockets`), `${entry.userId} ${entry.socketId}`)
        .exec(),
    );
  }

  async userSockets(userId: string): Promise<SocketEntry[]> {
    return this.redis.run(async (client) => {
      const all = await client.hgetall(this.key(`user:${userId}:sockets`));
      const nodes = [...new Set(Object.values(all))];
      if (nodes.length === 0) return [];
      const alive = await client.mget(nodes.map((node) => this.key(`node:${node}`)));
      const live = new Set(nodes.filter((_, i) => alive[i] !== null));
      return Object.entries(all)
        .filter(([, nodeId]) => live.has(nodeId))
        .map(([socketId, nodeId]) => ({ userId, socketId, nodeId }));
    });
  }

  async onlineUsers(userIds: readonly string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const flags = (await this.redis.run((client) => ONLINE(client, userIds.map((userId) => this.key(`user:${userId}:sockets`)), [this.redis.keyPrefix]))) as number[];
    return new Set(userIds.filter((_, i) => flags[i] === 1));
  }

  async heartbeat(nodeId: string, ttlMs: number): Promise<void> {
    await this.redis.run((client) => client.set(this.key(`node:${nodeId}`), String(Date.now()), 'PX', ttlMs));
  }

  async liveNodes(): Promise<string[]> {
    return this.redis.run(async (client) => {
      const nodes = await client.smembers(this.key('nodes'));
      if (nodes.length === 0) return [];
      const alive = await client.mget(nodes.map((node) => this.key(`node:${node}`)));
      return nodes.filter((_, i) => alive[i] !== null);
    });
  }

  async reapDeadNodes(): Promise<SocketEntry[]> {
    const reaped = (await this.redis.run((client) => REAP(client, [this.key('nodes')], [this.redis.keyPrefix]))) as string[];
    return reaped.map((line) => {
      const [nodeId = '', userId = '', socketId = ''] = line.split(' ');
      return { nodeId, userId, socketId };
    });
  }

  async restore(nodeId: string, entries: readonly SocketEntry[]): Promise<void> {
    await this.redis.run(async (client) => {
      const batch = client.multi().sadd(this.key('nodes'), nodeId);
      for (const entry of entries) {
        batch.hset(this.key(`user:${entry.userId}:sockets`), entry.socketId, nodeId);
        batch.sadd(this.key(`node:${nodeId}:sockets`), `${entry.userId} ${entry.socketId}`);
      }
      await batch.exec();
    });
  }

  async removeNode(nodeId: string): Promise<void> {
    await this.redis.run(async (client) => {
      const members = await client.smembers(this.key(`node:${nodeId}:sockets`));
      const batch = client.multi();
      for (const member of members) {
        const [userId = '', socketId = ''] = member.split(' ');
        batch.hdel(this.key(`user:${userId}:sockets`), socketId);
      }
      batch.del(this.key(`node:${nodeId}:sockets`), this.key(`node:${nodeId}`)).srem(this.key('nodes'), nodeId);
      await batch.exec();
    });
  }

  async saveSession(sessionId: string, userId: string, ttlMs: number): Promise<void> {
    await this.redis.run((client) => client.set(this.key(`session:${sessionId}`), userId, 'PX', Math.max(1, ttlMs)));
  }

  async holdSessions(sessions: readonly HeldSession[]): Promise<void> {
    if (sessions.length === 0) return;
    await this.redis.run(async (client) => {
      const batch = client.pipeline();
      for (const { sessionId, userId, ttlMs } of sessions) batch.set(this.key(`session:${sessionId}`), userId, 'PX', Math.max(1, ttlMs));
      await batch.exec();
    });
  }

  async sessionOwner(sessionId: string): Promise<string | null> {
    return this.redis.run((client) => client.get(this.key(`session:${sessionId}`)));
  }

  private readonly key = (suffix: string) => this.redis.keyPrefix + suffix;
}
