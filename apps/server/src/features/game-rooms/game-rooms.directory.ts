/**
 * Over Redis, the cluster's view of its game rooms: a registry entry per room (the node that
 * runs it, its metadata and player count: what the room list shows and what routes a player
 * on another node to it) and its checkpoint (state, seats and their sequence numbers: what
 * another node restores it from when its node dies), both rewritten by the owner at every
 * checkpoint and expiring when they are not. A lock per room makes one node restore it.
 *
 * Redis layout (prefix p):
 *   p groom:entry:<roomId>   JSON RoomEntry, expires after `ttlMs` without a checkpoint
 *   p groom:ckpt:<roomId>    JSON Checkpoint, the same expiry
 *   p groom:index            zset roomId -> when its entry expires (ms): what the list reads
 *   p groom:owned:<nodeId>   set of the room ids a node runs (its restorers read it), same expiry
 *   p groom:owners           set of the nodes that run rooms (one small member per node)
 *   p groom:lock:<roomId>    the node restoring the room, NX with an expiry
 *   p groom:user:<userId>:seats / :created   set of the rooms a user sits in / created, on any
 *                            node: the per-user quotas (members whose entry is gone are pruned)
 * Every command touches one key, so this runs on a Redis Cluster as it is.
 */
import { RoomListing, RoomMetadata } from '@tavern/protocol';
import { z } from 'zod';
import { defineScript, type RedisConnections } from '../../api.js';

/** Which of a user's rooms a quota counts: those they sit in, or those they created. */
export type UserRooms = 'seats' | 'created';

export const RoomEntry = RoomListing.extend({ owner: z.string(), isPrivate: z.boolean(), available: z.boolean() });
export type RoomEntry = z.infer<typeof RoomEntry>;

export const SavedSeat = z.object({
  userId: z.string(),
  name: z.string(),
  seatId: z.string(),
  seq: z.number().int().nonnegative(),
  /** Where the seat's socket was connected at the checkpoint; null: dropped, kept for the grace period. */
  nodeId: z.string().nullable(),
  socketId: z.string().nullable(),
});
export type SavedSeat = z.infer<typeof SavedSeat>;

export const Checkpoint = z.object({
  roomId: z.string(),
  type: z.string(),
  createdBy: z.string(),
  isPrivate: z.boolean(),
  createdAt: z.number(),
  metadata: RoomMetadata,
  locked: z.boolean(),
  seats: z.array(SavedSeat),
  /** The state, or null for a room type without checkpoints (`checkpointMs: 0`): not restorable. */
  state: z.unknown(),
  restorable: z.boolean(),
  savedAt: z.number(),
});
export type Checkpoint = z.infer<typeof Checkpoint>;

/**
 * Writes the entry only while it names the node in ARGV[2] (or is gone): the owner's saves stop
 * once another node took the room over, and a restorer takes over only from the dead node.
 */
const SET_IF_OWNER = defineScript(`
local current = redis.call('GET', KEYS[1])
if current and cjson.decode(current).owner ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 1
`);

const parse = <T>(schema: z.ZodType<T>, raw: string | null): T | null => {
  if (raw === null) return null;
  try {
    const parsed = schema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
};

export class RoomDirectory {
  constructor(
    private readonly redis: RedisConnections,
    readonly nodeId: string,
    /** How long an entry and a checkpoint live without being rewritten. */
    readonly ttlMs: number,
  ) {}

  private readonly key = (...parts: string[]) => this.redis.key('groom', ...parts);

  /**
   * Saves a room this node runs: its entry (fenced: false when another node has taken the room
   * over, which this node must then stop running), its checkpoint (or only its expiry, when the
   * checkpoint did not change since the last save and is still there: a Redis that lost its
   * data gets it whole again), the index and this node's set.
   */
  async save(entry: RoomEntry, checkpoint: { json: string; changed: boolean }): Promise<boolean> {
    const { roomId } = entry;
    const expiresAt = Date.now() + this.ttlMs;
    return this.redis.run(async (client) => {
      const owned = (await SET_IF_OWNER(client, [this.key('entry', roomId)], [JSON.stringify(entry), this.nodeId, this.ttlMs])) === 1;
      if (!owned) return false;
      const ckptKey = this.key('ckpt', roomId);
      const ownedKey = this.key('owned', this.nodeId);
      await Promise.all([
        (checkpoint.changed ? Promise.resolve(0) : client.pexpire(ckptKey, this.ttlMs)).then((kept): Promise<unknown> => (kept === 1 ? Promise.resolve() : client.set(ckptKey, checkpoint.json, 'PX', this.ttlMs))),
        entry.isPrivate ? client.zrem(this.key('index'), roomId) : client.zadd(this.key('index'), expiresAt, roomId),
        client.sadd(ownedKey, roomId).then(() => client.pexpire(ownedKey, this.ttlMs)),
        client.sadd(this.key('owners'), this.nodeId),
      ]);
      return true;
    });
  }

  /** A room this node ran is gone (closed): its entry, checkpoint and index member go. */
  async remove(roomId: string): Promise<void> {
    await this.redis.run(async (client) => {
      const entry = parse(RoomEntry, await client.get(this.key('entry', roomId)));
      await Promise.all([
        ...(entry === null || entry.owner === this.nodeId ? [client.del(this.key('entry', roomId)), client.del(this.key('ckpt', roomId)), client.zrem(this.key('index'), roomId)] : []),
        client.srem(this.key('owned', this.nodeId), roomId),
      ]);
    });
  }

  async entry(roomId: string): Promise<RoomEntry | null> {
    return this.redis.run(async (client) => parse(RoomEntry, await client.get(this.key('entry', roomId))));
  }

  /**
   * Public rooms of every node, in the order they were indexed; expired index members are
   * dropped on the way. Reads at most `scan` entries, whatever the filter.
   */
  async list(matches: (entry: RoomEntry) => boolean, limit: number, scan = 500): Promise<RoomEntry[]> {
    return this.redis.run(async (client) => {
      const now = Date.now();
      const index = this.key('index');
      await client.zremrangebyscore(index, '-inf', now);
      const ids = await client.zrangebyscore(index, now, '+inf', 'LIMIT', 0, scan);
      const entries = await Promise.all(ids.map((roomId) => client.get(this.key('entry', roomId))));
      return entries
        .map((raw) => parse(RoomEntry, raw))
        .filter((entry): entry is RoomEntry => entry !== null && !entry.isPrivate && matches(entry))
        .slice(0, limit);
    });
  }

  /**
   * The live rooms (with a registry entry) of any node that `userId` holds a seat in, or
   * created; members whose room is gone are pruned on the way.
   */
  async userRooms(kind: UserRooms, userId: string): Promise<string[]> {
    return this.redis.run(async (client) => {
      const key = this.key('user', userId, kind);
      const ids = await client.smembers(key);
      const live = await Promise.all(ids.map((roomId) => client.exists(this.key('entry', roomId))));
      const gone = ids.filter((_, i) => live[i] === 0);
      if (gone.length > 0) await client.srem(key, ...gone);
      return ids.filter((_, i) => live[i] === 1);
    });
  }

  /** Counts a room against a user's quota, for at most `ttlMs` (the room's lifetime). */
  async addUserRoom(kind: UserRooms, userId: string, roomId: string, ttlMs: number): Promise<void> {
    const key = this.key('user', userId, kind);
    await this.redis.run(async (client) => {
      await client.sadd(key, roomId);
      // Never shorter than it was: the set also holds the user's other rooms.
      if ((await client.pttl(key)) < ttlMs) await client.pexpire(key, ttlMs);
    });
  }

  async removeUserRoom(kind: UserRooms, userId: string, roomId: string): Promise<void> {
    await this.redis.run((client) => client.srem(this.key('user', userId, kind), roomId));
  }

  /** The nodes that run (or ran) rooms. */
  async owners(): Promise<string[]> {
    return this.redis.run((client) => client.smembers(this.key('owners')));
  }

  async roomsOf(nodeId: string): Promise<string[]> {
    return this.redis.run((client) => client.smembers(this.key('owned', nodeId)));
  }

  /** Whether this node may restore `roomId`: of the nodes asking at once, one gets it. */
  async lock(roomId: string, ttlMs: number): Promise<boolean> {
    return this.redis.run(async (client) => (await client.set(this.key('lock', roomId), this.nodeId, 'PX', ttlMs, 'NX')) === 'OK');
  }

  async unlock(roomId: string): Promise<void> {
    await this.redis.run((client) => client.del(this.key('lock', roomId)));
  }

  async checkpoint(roomId: string): Promise<Checkpoint | null> {
    return this.redis.run(async (client) => parse(Checkpoint, await client.get(this.key('ckpt', roomId))));
  }

  /** Makes this node the room's owner, unless it already moved to another node than `deadNode`. */
  async takeOver(entry: RoomEntry, deadNode: string): Promise<boolean> {
    return this.redis.run(async (client) => (await SET_IF_OWNER(client, [this.key('entry', entry.roomId)], [JSON.stringify(entry), deadNode, this.ttlMs])) === 1);
  }

  /** The dead node's room was restored here, or dropped: it leaves the dead node's set. */
  async forget(deadNode: string, roomId: string, restored: boolean): Promise<void> {
    await this.redis.run(async (client) => {
      await client.srem(this.key('owned', deadNode), roomId);
      if (!restored) await Promise.all([client.del(this.key('entry', roomId)), client.del(this.key('ckpt', roomId)), client.zrem(this.key('index'), roomId)]);
    });
  }

  /** Once nothing of a dead node is left to restore, it stops being looked at. */
  async dropOwner(deadNode: string): Promise<void> {
    await this.redis.run(async (client) => {
      if ((await client.scard(this.key('owned', deadNode))) === 0) await client.srem(this.key('owners'), deadNode);
    });
  }
}
