/**
 * Which sockets each user has, on which node, cluster-wide; which nodes are alive; and
 * which session ids may be resumed. In memory for one process, in Redis for a cluster.
 */
import { defineScript, defineWriteScript, type RedisClient, type RedisConnections } from '../platform/redis.js';

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
 *   p nodes                    set of every node that heart-beats (to find dead ones)
 *   p node:<nodeId>:sockets    set of "<userId> <socketId>"
 *   p user:<userId>:sockets    hash socketId -> nodeId
 *   p session:<sessionId>      userId, with a TTL
 *
 * On a Redis Cluster these keys live in different slots, so no script or transaction touches
 * two of them: each step writes one key, and the steps are ordered so that an interruption
 * leaves nothing that counts wrongly. A user's hash may keep a field of a dead node (every
 * read checks the node's heartbeat; the reap of that node, or an `add` the field would
 * refuse, drops it); a node's set may keep a member whose user field is gone (a reap skips
 * it: it deletes a field only where it still names that node). `nodes` is one small set (one member per node, written by heartbeats),
 * not a hot slot: sockets are never added to it.
 */

/**
 * KEYS: the user's sockets hash. ARGV: socketId, nodeId, max, then the nodes found dead. Drops
 * the dead nodes' fields, then adds the socket unless `max` live ones remain. A node not listed
 * counts as alive (one that registered a socket since its caller looked).
 */
const ADD = defineWriteScript(`
local dead = {}
for i = 4, #ARGV do dead[ARGV[i]] = true end
local fields = redis.call('HGETALL', KEYS[1])
local live = 0
for i = 1, #fields, 2 do
  if dead[fields[i + 1]] then redis.call('HDEL', KEYS[1], fields[i]) else live = live + 1 end
end
if live >= tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`);

/** KEYS: user socket hashes (of one slot on a cluster). The HVALS of each, in one call. */
const NODES_OF = defineScript(`
local out = {}
for i, key in ipairs(KEYS) do out[i] = redis.call('HVALS', key) end
return out
`);

/** KEYS: a user's sockets hash. ARGV: socketId, nodeId. Forgets the socket if it is still that node's. */
const FORGET = defineScript(`
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0
`);

export class RedisConnectionStore implements ConnectionStore {
  constructor(private readonly redis: RedisConnections) {}

  /**
   * Tries the add first as if every node in the user's hash were alive: a user below the cap
   * (nearly every handshake) costs one SADD and one script. Only a refused add reads which
   * nodes the hash names and tries again without the dead ones' fields, which a crashed node
   * may have left until it is reaped.
   */
  async add(entry: SocketEntry, maxPerUser: number): Promise<boolean> {
    const userKey = this.userKey(entry.userId);
    const nodeSet = this.key(`node:${entry.nodeId}:sockets`);
    const member = `${entry.userId} ${entry.socketId}`;
    const max = Math.min(maxPerUser, 1_000_000);
    return this.redis.run(async (client, deadline) => {
      // The node's set first: a member left there by a failure below is skipped by a reap,
      // whereas a user field without it would outlive this node.
      await client.sadd(nodeSet, member);
      try {
        // A write script: an add the handshake gave up on is not made later (no ghost socket).
        let added = await ADD(client, [userKey], [entry.socketId, entry.nodeId, max], deadline);
        if (added !== 1) {
          const nodes = [...new Set(await client.hvals(userKey))];
          const alive = await this.alive(client, nodes);
          const dead = nodes.filter((node) => !alive.has(node));
          if (dead.length > 0) added = await ADD(client, [userKey], [entry.socketId, entry.nodeId, max, ...dead], deadline);
        }
        if (added !== 1) await client.srem(nodeSet, member);
        return added === 1;
      } catch (error) {
        await client.srem(nodeSet, member).catch(() => undefined);
        throw error;
      }
    });
  }

  async remove(entry: SocketEntry): Promise<void> {
    await this.redis.run((client) =>
      Promise.all([client.hdel(this.userKey(entry.userId), entry.socketId), client.srem(this.key(`node:${entry.nodeId}:sockets`), `${entry.userId} ${entry.socketId}`)]),
    );
  }

  async userSockets(userId: string): Promise<SocketEntry[]> {
    return this.redis.run(async (client) => {
      const all = await client.hgetall(this.userKey(userId));
      const live = await this.alive(client, [...new Set(Object.values(all))]);
      return Object.entries(all)
        .filter(([, nodeId]) => live.has(nodeId))
        .map(([socketId, nodeId]) => ({ userId, socketId, nodeId }));
    });
  }

  /**
   * Two round trips for any number of users: their hashes (one script call on a single Redis,
   * one per slot on a cluster, sent together), then the heartbeats of the nodes they name.
   */
  async onlineUsers(userIds: readonly string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const keys = userIds.map((userId) => this.userKey(userId));
    return this.redis.run(async (client) => {
      const nodesOf = await this.redis.eachSlot(keys, (group) => NODES_OF(client, group.map((i) => keys[i]!), []) as Promise<string[][]>);
      const live = await this.alive(client, [...new Set(nodesOf.flat())]);
      return new Set(userIds.filter((_, i) => nodesOf[i]?.some((node) => live.has(node))));
    });
  }

  async heartbeat(nodeId: string, ttlMs: number): Promise<void> {
    await this.redis.run((client) => Promise.all([client.sadd(this.key('nodes'), nodeId), client.set(this.key(`node:${nodeId}`), String(Date.now()), 'PX', ttlMs)]));
  }

  async liveNodes(): Promise<string[]> {
    return this.redis.run(async (client) => {
      const nodes = await client.smembers(this.key('nodes'));
      const alive = await this.alive(client, nodes);
      return nodes.filter((node) => alive.has(node));
    });
  }

  /**
   * Per dead node: takes its socket set (read and deleted in one transaction, so of several
   * nodes reaping at once only one gets its sockets), forgets those sockets in their users'
   * hashes, then drops the node from `nodes`. Interrupted, a later reap finds the node again
   * with whatever set is left.
   */
  async reapDeadNodes(): Promise<SocketEntry[]> {
    return this.redis.run(async (client) => {
      const nodes = await client.smembers(this.key('nodes'));
      const alive = await this.alive(client, nodes);
      const reaped: SocketEntry[] = [];
      for (const nodeId of nodes.filter((node) => !alive.has(node))) {
        const setKey = this.key(`node:${nodeId}:sockets`);
        const [[, members]] = (await client.multi().smembers(setKey).del(setKey).exec()) as [[null, string[]], unknown];
        const entries = members.map((member) => this.entryOf(nodeId, member));
        await Promise.all(entries.map(({ userId, socketId }) => FORGET(client, [this.userKey(userId)], [socketId, nodeId])));
        await client.srem(this.key('nodes'), nodeId);
        reaped.push(...entries);
      }
      return reaped;
    });
  }

  async restore(nodeId: string, entries: readonly SocketEntry[]): Promise<void> {
    const byUser = new Map<string, Record<string, string>>();
    for (const { userId, socketId } of entries) byUser.set(userId, { ...byUser.get(userId), [socketId]: nodeId });
    await this.redis.run((client) =>
      Promise.all([
        client.sadd(this.key('nodes'), nodeId),
        ...(entries.length > 0 ? [client.sadd(this.key(`node:${nodeId}:sockets`), ...entries.map((entry) => `${entry.userId} ${entry.socketId}`))] : []),
        ...[...byUser].map(([userId, fields]) => client.hset(this.userKey(userId), fields)),
      ]),
    );
  }

  async removeNode(nodeId: string): Promise<void> {
    await this.redis.run(async (client) => {
      const members = await client.smembers(this.key(`node:${nodeId}:sockets`));
      await Promise.all(members.map((member) => this.entryOf(nodeId, member)).map(({ userId, socketId }) => FORGET(client, [this.userKey(userId)], [socketId, nodeId])));
      await Promise.all([client.del(this.key(`node:${nodeId}:sockets`)), client.del(this.key(`node:${nodeId}`)), client.srem(this.key('nodes'), nodeId)]);
    });
  }

  async saveSession(sessionId: string, userId: string, ttlMs: number): Promise<void> {
    await this.redis.run((client) => client.set(this.key(`session:${sessionId}`), userId, 'PX', Math.max(1, ttlMs)));
  }

  /** One SET per session, sent together (on a cluster each goes to its own slot's master). */
  async holdSessions(sessions: readonly HeldSession[]): Promise<void> {
    if (sessions.length === 0) return;
    await this.redis.run((client) =>
      Promise.all(sessions.map(({ sessionId, userId, ttlMs }) => client.set(this.key(`session:${sessionId}`), userId, 'PX', Math.max(1, ttlMs)))),
    );
  }

  async sessionOwner(sessionId: string): Promise<string | null> {
    return this.redis.run((client) => client.get(this.key(`session:${sessionId}`)));
  }

  /** Which of these nodes heart-beat: their keys read together, each in its own slot. */
  private async alive(client: RedisClient, nodeIds: readonly string[]): Promise<Set<string>> {
    const beats = await Promise.all(nodeIds.map((node) => client.exists(this.key(`node:${node}`))));
    return new Set(nodeIds.filter((_, i) => beats[i] === 1));
  }

  private entryOf(nodeId: string, member: string): SocketEntry {
    const sep = member.indexOf(' ');
    return { nodeId, userId: member.slice(0, sep), socketId: member.slice(sep + 1) };
  }

  private readonly key = (suffix: string) => this.redis.keyPrefix + suffix;
  private readonly userKey = (userId: string) => this.key(`user:${userId}:sockets`);
}
