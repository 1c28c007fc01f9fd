/**
 * Who is in each chat channel, cluster-wide, kept in the store as sockets join and leave, so
 * that `chat:join` never asks every node for the room's sockets (`fetchSockets`) and costs
 * the same in a channel of 10 and of 10,000: O(1) to count, O(listed) to list.
 *
 * A member is a user with at least one socket in the channel. Each node's share is counted
 * apart (user and node -> sockets), so when a node dies without a goodbye the node that reaps
 * it removes exactly what it held, and a node that got Redis back (possibly empty) replaces
 * its share with what it has.
 *
 * Redis layout, every key of a channel in one hash slot (`{channelId}`):
 *   chat:{c}:members     hash userId -> name
 *   chat:{c}:sockets     hash userId -> sockets of the user in the channel, all nodes
 *   chat:{c}:shares      hash "<userId> <nodeId>" -> sockets of the user there on that node
 *   chat:node:<nodeId>:channels   set of the channels where that node holds a share (its
 *                                 own slot: written beside the channel's script, not in it)
 * Every key expires `ttlMs` after the last join, leave or `refresh` (each node refreshes the
 * channels it holds shares in): a backstop for a whole cluster gone at once, with nobody
 * left to reap it.
 */
import { defineScript, defineWriteScript, type RedisConnections } from '../../api.js';

export interface ChannelMember {
  userId: string;
  name: string;
}

export interface MembershipChange {
  /** The user's first socket in the channel joined, or its last one left. */
  changed: boolean;
  /** Members (users) after the change. */
  count: number;
}

/** A join, and members read in the same step: what `list` would give right after it. */
export interface JoinOutcome extends MembershipChange {
  /** At most the `sample` members the join asked for (all of a smaller channel). */
  sample: ChannelMember[];
}

/** A node's share of one channel: the sockets each of its users has there. */
export interface NodeShare {
  channelId: string;
  members: readonly (ChannelMember & { sockets: number })[];
}

export interface ChannelMembership {
  /** Counts a socket in; lists up to `sample` members with it (0: none), saving the join ack a `list`. */
  join(channelId: string, member: ChannelMember, nodeId: string, sample: number): Promise<JoinOutcome>;
  leave(channelId: string, userId: string, nodeId: string): Promise<MembershipChange>;
  /** At most `limit` members, and how many there are. */
  list(channelId: string, limit: number): Promise<{ members: ChannelMember[]; count: number }>;
  count(channelId: string): Promise<number>;
  /** Removes every share of a node (one that died, or this one before it restores); returns who left where. */
  dropNode(nodeId: string): Promise<{ channelId: string; userIds: string[]; count: number }[]>;
  /** Adds a node's shares (after `dropNode` of the same node). */
  restore(nodeId: string, shares: readonly NodeShare[]): Promise<void>;
  /** Keeps the channels where a node holds shares from expiring. */
  refresh(nodeId: string, channelIds: readonly string[]): Promise<void>;
}

interface MemoryChannel {
  members: Map<string, { name: string; sockets: number }>;
}

/** One process: no other node holds a share, so a user's sockets are counted once. */
export class MemoryChannelMembership implements ChannelMembership {
  private readonly channels = new Map<string, MemoryChannel>();

  async join(channelId: string, member: ChannelMember, _nodeId: string, sample: number): Promise<JoinOutcome> {
    let channel = this.channels.get(channelId);
    if (!channel) this.channels.set(channelId, (channel = { members: new Map() }));
    const current = channel.members.get(member.userId);
    if (current) current.sockets++;
    else channel.members.set(member.userId, { name: member.name, sockets: 1 });
    return { changed: current === undefined, count: channel.members.size, sample: sample > 0 ? this.pick(channel, sample) : [] };
  }

  private pick(channel: MemoryChannel | undefined, limit: number): ChannelMember[] {
    const members: ChannelMember[] = [];
    for (const [userId, { name }] of channel?.members ?? []) {
      if (members.length >= limit) break;
      members.push({ userId, name });
    }
    return members;
  }

  async leave(channelId: string, userId: string): Promise<MembershipChange> {
    const channel = this.channels.get(channelId);
    const current = channel?.members.get(userId);
    if (!channel || !current) return { changed: false, count: channel?.members.size ?? 0 };
    const last = --current.sockets <= 0;
    if (last) channel.members.delete(userId);
    if (channel.members.size === 0) this.channels.delete(channelId);
    return { changed: last, count: channel.members.size };
  }

  async list(channelId: string, limit: number) {
    const channel = this.channels.get(channelId);
    return { members: this.pick(channel, limit), count: channel?.members.size ?? 0 };
  }

  async count(channelId: string) {
    return this.channels.get(channelId)?.members.size ?? 0;
  }

  async dropNode() {
    // One process: its shares die with it and a restored Redis does not hold them.
    return [];
  }

  async restore() {}

  async refresh() {}
}

/**
 * KEYS: members, sockets, shares. ARGV: userId, share field, name, ttl ms, sample size. Returns
 * whether the user's first socket joined, the member count and, for a sample size above 0,
 * that many members at most (HRANDFIELD: distinct, all of a smaller hash) as field, value pairs.
 */
const JOIN = defineWriteScript(`
redis.call('HINCRBY', KEYS[3], ARGV[2], 1)
local sockets = redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
if sockets == 1 then redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) end
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[4]) end
local sample = {}
if tonumber(ARGV[5]) > 0 then sample = redis.call('HRANDFIELD', KEYS[1], ARGV[5], 'WITHVALUES') end
return {sockets == 1 and 1 or 0, redis.call('HLEN', KEYS[1]), sample}
`);

function membersOf(pairs: readonly string[]): ChannelMember[] {
  const members: ChannelMember[] = [];
  for (let i = 0; i + 1 < pairs.length; i += 2) members.push({ userId: pairs[i]!, name: pairs[i + 1]! });
  return members;
}

/** KEYS: members, sockets, shares. ARGV: userId, share field, ttl ms. */
const LEAVE = defineWriteScript(`
if redis.call('HEXISTS', KEYS[3], ARGV[2]) == 0 then return {0, redis.call('HLEN', KEYS[1])} end
if redis.call('HINCRBY', KEYS[3], ARGV[2], -1) <= 0 then redis.call('HDEL', KEYS[3], ARGV[2]) end
local last = 0
if redis.call('HINCRBY', KEYS[2], ARGV[1], -1) <= 0 then
  redis.call('HDEL', KEYS[2], ARGV[1])
  redis.call('HDEL', KEYS[1], ARGV[1])
  last = 1
end
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[3]) end
return {last, redis.call('HLEN', KEYS[1])}
`);

/** KEYS: members, sockets, shares. ARGV: node id. Removes the node's shares; returns the count and who left. */
const DROP_SHARES = defineScript(`
local suffix = ' ' .. ARGV[1]
local left = {}
local fields = redis.call('HGETALL', KEYS[3])
for i = 1, #fields, 2 do
  local field = fields[i]
  if string.sub(field, -#suffix) == suffix then
    local userId = string.sub(field, 1, #field - #suffix)
    redis.call('HDEL', KEYS[3], field)
    if redis.call('HINCRBY', KEYS[2], userId, -tonumber(fields[i + 1])) <= 0 then
      redis.call('HDEL', KEYS[2], userId)
      redis.call('HDEL', KEYS[1], userId)
      table.insert(left, userId)
    end
  end
end
return {redis.call('HLEN', KEYS[1]), left}
`);

/** KEYS: members, sockets, shares. ARGV: node id, ttl ms, then userId, name, sockets triples. */
const ADD_SHARES = defineScript(`
for i = 3, #ARGV, 3 do
  local userId, sockets = ARGV[i], tonumber(ARGV[i + 2])
  redis.call('HINCRBY', KEYS[3], userId .. ' ' .. ARGV[1], sockets)
  if redis.call('HINCRBY', KEYS[2], userId, sockets) == sockets then redis.call('HSET', KEYS[1], userId, ARGV[i + 1]) end
end
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[2]) end
return 1
`);

export class RedisChannelMembership implements ChannelMembership {
  /**
   * Channels this process noted in a node's channel set since that set's last `refresh`
   * (which notes all of the node's channels again): a join storm into one channel notes it
   * once, not once per join. Replaced at each `refresh` and cleared by `dropNode`, so it holds
   * at most the channels joined on this node in one refresh period.
   */
  private noted = new Map<string, Set<string>>();

  constructor(
    private readonly redis: RedisConnections,
    private readonly ttlMs: number,
  ) {}

  private keys(channelId: string) {
    const k = (part: string) => this.redis.key('chat', `{${channelId}}`, part);
    return [k('members'), k('sockets'), k('shares')] as const;
  }

  private nodeKey(nodeId: string) {
    return this.redis.key('chat', 'node', nodeId, 'channels');
  }

  async join(channelId: string, member: ChannelMember, nodeId: string, sample: number): Promise<JoinOutcome> {
    const [[first, count, picked]] = await Promise.all([
      this.redis.run((client, deadline) => JOIN(client, this.keys(channelId), [member.userId, `${member.userId} ${nodeId}`, member.name, this.ttlMs, sample], deadline)) as Promise<
        [number, number, string[]]
      >,
      this.noted.get(nodeId)?.has(channelId) ? undefined : this.noteChannel(nodeId, [channelId]),
    ]);
    return { changed: first === 1, count, sample: membersOf(picked) };
  }

  /** Records that `nodeId` holds shares in these channels, so whoever reaps it finds them. */
  private async noteChannel(nodeId: string, channelIds: readonly string[]): Promise<void> {
    const key = this.nodeKey(nodeId);
    await this.redis.run((client) => client.multi().sadd(key, ...channelIds).pexpire(key, this.ttlMs).exec());
    let noted = this.noted.get(nodeId);
    if (!noted) this.noted.set(nodeId, (noted = new Set()));
    for (const channelId of channelIds) noted.add(channelId);
  }

  async leave(channelId: string, userId: string, nodeId: string): Promise<MembershipChange> {
    const [last, count] = (await this.redis.run((client, deadline) => LEAVE(client, this.keys(channelId), [userId, `${userId} ${nodeId}`, this.ttlMs], deadline))) as [number, number];
    return { changed: last === 1, count };
  }

  async list(channelId: string, limit: number) {
    const [members] = this.keys(channelId);
    const [listed, count] = await this.redis.run(async (client) => {
      // HRANDFIELD with a positive count: distinct fields, all of them in a smaller hash.
      const [fields, size] = await Promise.all([client.hrandfield(members, limit, 'WITHVALUES') as Promise<string[]>, client.hlen(members)]);
      return [fields, size] as const;
    });
    return { members: membersOf(listed), count };
  }

  async count(channelId: string) {
    return this.redis.run((client) => client.hlen(this.keys(channelId)[0]));
  }

  async dropNode(nodeId: string) {
    const channels = await this.redis.run((client) => client.smembers(this.nodeKey(nodeId)));
    const dropped: { channelId: string; userIds: string[]; count: number }[] = [];
    for (const channelId of channels) {
      const [count, userIds] = (await this.redis.run((client) => DROP_SHARES(client, this.keys(channelId), [nodeId]))) as [number, string[]];
      dropped.push({ channelId, userIds, count });
    }
    this.noted.delete(nodeId);
    await this.redis.run((client) => client.del(this.nodeKey(nodeId)));
    return dropped;
  }

  async restore(nodeId: string, shares: readonly NodeShare[]) {
    if (shares.length === 0) return;
    await this.noteChannel(nodeId, shares.map((share) => share.channelId));
    for (const { channelId, members } of shares) {
      const args = members.flatMap((member) => [member.userId, member.name, member.sockets]);
      await this.redis.run((client) => ADD_SHARES(client, this.keys(channelId), [nodeId, this.ttlMs, ...args]));
    }
  }

  async refresh(nodeId: string, channelIds: readonly string[]) {
    this.noted.delete(nodeId);
    if (channelIds.length === 0) return;
    await this.noteChannel(nodeId, channelIds);
    // Channels are in different slots on a cluster: the PEXPIREs are sent together, not as one pipeline.
    await this.redis.run((client) => Promise.all(channelIds.flatMap((channelId) => this.keys(channelId).map((key) => client.pexpire(key, this.ttlMs)))));
  }
}
