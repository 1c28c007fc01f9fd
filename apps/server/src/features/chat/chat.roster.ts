/**
 * Channel membership as the chat feature sees it: which sockets of this node joined which
 * channels (`chat:join`, until `chat:leave` or disconnect), the cluster-wide member store
 * behind them, and what members are told. A channel of at most `largeChannelMembers` members
 * hears `chat:member:joined` / `chat:member:left` when a user's first socket joins or last
 * one leaves; a larger channel, and `global:main`, hears `chat:occupancy` instead, at most
 * once per second per channel across the cluster (a Redis lock decides which node sends it),
 * so filling a channel one join at a time is O(n), not O(n²) deliveries.
 */
import { GLOBAL_ROOM, type chatSlice, type Member } from '@tavern/protocol';
import { listByStatus, withStatus, type EmitTo, type RedisConnections, type StatusSource, type TavernSocket } from '../../api.js';
import type { ChannelMember, ChannelMembership, JoinOutcome, MembershipChange, NodeShare } from './chat.members.js';

const OCCUPANCY_INTERVAL_MS = 1_000;
const LIST_REUSE_MS = 1_000;
/** Large channels whose list is kept at once; beyond it (after a sweep of the stale) lists are not kept. */
const MAX_CACHED_LISTS = 1_000;

/** A list as sent, and the version of the statuses it shows. */
interface Listing {
  version: number;
  /** Sent in acks as it is, so never changed once built. */
  members: Member[];
}

export interface RosterOptions {
  store: ChannelMembership;
  nodeId: string;
  emitTo: EmitTo<typeof chatSlice>;
  statuses: () => StatusSource | undefined;
  redis: RedisConnections | null;
  largeChannelMembers: number;
  listedMembers: number;
  /**
   * Sockets in the channel's room on this node. Other features may put sockets there without a
   * `chat:join` (guild members join their guild's room at connect), so a channel is large when
   * its members or its local audience are.
   */
  localAudience: (channelId: string) => number;
}

export class ChannelRoster {
  /** socketId -> channels it joined with `chat:join`. */
  private readonly joined = new Map<string, { socket: TavernSocket; channels: Set<string> }>();
  /**
   * Large channels' listed members (picked from a sample by status), reused for
   * `LIST_REUSE_MS`, and the list last built from them with the statuses' version it showed.
   */
  private readonly listed = new Map<string, { members: readonly ChannelMember[]; until: number; shown: Listing | null }>();
  /** Channels with an occupancy announcement due, and its timer. */
  private readonly pending = new Map<string, NodeJS.Timeout>();

  constructor(private readonly options: RosterOptions) {}

  /**
   * Counts a socket in (once per socket and channel) and tells the others. The channel is
   * claimed before the store call, so two joins of one socket at once count it once, and
   * joins of two channels at once both stay tracked. Returns what the store read with the
   * join, for `list` (null: the socket was in already).
   */
  async join(socket: TavernSocket, channelId: string): Promise<JoinOutcome | null> {
    let entry = this.joined.get(socket.id);
    if (entry?.channels.has(channelId)) return null;
    if (!entry) this.joined.set(socket.id, (entry = { socket, channels: new Set() }));
    entry.channels.add(channelId);
    const { userId, name } = socket.data.user;
    // A large channel's pick in use: only the count is news.
    const sample = this.freshPick(channelId, Date.now()) ? 0 : this.options.listedMembers * 2;
    let outcome: JoinOutcome;
    try {
      outcome = await this.options.store.join(channelId, { userId, name }, this.options.nodeId, sample);
    } catch (error) {
      this.forget(socket.id, channelId);
      throw error;
    }
    await this.announce(channelId, outcome, { joined: { userId, name }, except: socket.id });
    return outcome;
  }

  /** Drops a channel from a socket's tracked joins; false if it was not there. */
  private forget(socketId: string, channelId: string): boolean {
    const entry = this.joined.get(socketId);
    if (!entry?.channels.delete(channelId)) return false;
    if (entry.channels.size === 0) this.joined.delete(socketId);
    return true;
  }

  async leave(socket: TavernSocket, channelId: string): Promise<void> {
    if (!this.forget(socket.id, channelId)) return;
    const { userId } = socket.data.user;
    await this.announce(channelId, await this.options.store.leave(channelId, userId, this.options.nodeId), { left: userId });
  }

  /** A closed socket leaves every channel it joined. */
  async leaveAll(socket: TavernSocket): Promise<void> {
    const entry = this.joined.get(socket.id);
    if (!entry) return;
    for (const channelId of [...entry.channels]) await this.leave(socket, channelId);
  }

  /**
   * At most `listedMembers` members with the status others may see, online first, and the
   * total. Picked from a sample twice that size (all of a channel up to it), so that in a
   * large channel the online members are likely, not certain, to fill the list: a constant
   * cost, where sorting the whole channel would grow with it. In a large channel the members
   * picked are reused for up to a second (a join storm reads the store and the sample's
   * statuses once, not once per join); the count and the statuses shown are always fresh, so
   * a member who just went invisible is never listed as online. Fresh means re-read, unless
   * the status source's version says that no status changed since the last list was built
   * (in memory: then that list is sent again as it is). `joined`: what the socket's join just
   * read, used instead of reading the store again.
   */
  async list(channelId: string, joined: JoinOutcome | null = null): Promise<{ members: Member[]; memberCount: number }> {
    const { listedMembers, largeChannelMembers, store } = this.options;
    const statuses = this.options.statuses();
    // Read before the statuses: a change while they are read makes the next list read again.
    const version = statuses?.version?.();
    const now = Date.now();
    const cached = this.freshPick(channelId, now);
    if (cached !== undefined) {
      const shown = cached.shown;
      const [members, count] = await Promise.all([
        version !== undefined && shown?.version === version ? shown.members : listByStatus(statuses, cached.members, listedMembers),
        joined?.count ?? store.count(channelId),
      ]);
      if (version !== undefined) cached.shown = { version, members };
      return { members, memberCount: count };
    }
    // A join always leaves one member at least: an empty sample is one it did not ask for.
    const { members: sample, count } = joined !== null && joined.sample.length > 0 ? { members: joined.sample, count: joined.count } : await store.list(channelId, listedMembers * 2);
    const members = await listByStatus(statuses, sample, listedMembers);
    if (count > largeChannelMembers) this.cacheList(channelId, members, version === undefined ? null : { version, members }, now);
    return { members, memberCount: count };
  }

  /** A large channel's pick of members while it is reused. */
  private freshPick(channelId: string, now: number) {
    const cached = this.listed.get(channelId);
    return cached !== undefined && cached.until > now ? cached : undefined;
  }

  private cacheList(channelId: string, members: readonly ChannelMember[], shown: Listing | null, now: number): void {
    if (this.listed.size >= MAX_CACHED_LISTS) {
      for (const [id, entry] of this.listed) if (entry.until <= now) this.listed.delete(id);
      if (this.listed.size >= MAX_CACHED_LISTS) return;
    }
    this.listed.set(channelId, { members, until: now + LIST_REUSE_MS, shown });
  }

  /** Removes what a dead node held, and tells the members of the channels it was in. */
  async dropNode(nodeId: string): Promise<void> {
    for (const { channelId, userIds, count } of await this.options.store.dropNode(nodeId)) {
      for (const userId of userIds) await this.announce(channelId, { changed: true, count }, { left: userId });
    }
  }

  /** Replaces this node's shares with what it holds (Redis came back, possibly empty). */
  async restore(): Promise<void> {
    const { store, nodeId } = this.options;
    await store.dropNode(nodeId);
    await store.restore(nodeId, this.shares());
  }

  /** Keeps the channels this node holds shares in from expiring. */
  async refresh(): Promise<void> {
    await this.options.store.refresh(this.options.nodeId, this.shares().map((share) => share.channelId));
  }

  stop(): void {
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
  }

  private shares(): NodeShare[] {
    const byChannel = new Map<string, Map<string, ChannelMember & { sockets: number }>>();
    for (const { socket, channels } of this.joined.values()) {
      const { userId, name } = socket.data.user;
      for (const channelId of channels) {
        let members = byChannel.get(channelId);
        if (!members) byChannel.set(channelId, (members = new Map()));
        const member = members.get(userId);
        if (member) member.sockets++;
        else members.set(userId, { userId, name, sockets: 1 });
      }
    }
    return [...byChannel].map(([channelId, members]) => ({ channelId, members: [...members.values()] }));
  }

  /** Tells a channel that a user joined (`except`: the joining socket) or left, if it did. */
  private async announce(channelId: string, change: MembershipChange, what: { joined: ChannelMember; except: string } | { left: string }): Promise<void> {
    if (!change.changed) return;
    const { largeChannelMembers, localAudience } = this.options;
    if (channelId === GLOBAL_ROOM || change.count > largeChannelMembers || localAudience(channelId) > largeChannelMembers) {
      this.scheduleOccupancy(channelId);
      return;
    }
    if ('left' in what) {
      this.options.emitTo(channelId, 'chat:member:left', { channelId, userId: what.left });
      return;
    }
    const [member] = await withStatus(this.options.statuses(), [what.joined]);
    this.options.emitTo(channelId, 'chat:member:joined', { channelId, member: member! }, { except: what.except });
  }

  /** At most one announcement a second: the first change waits for the others of that second. */
  private scheduleOccupancy(channelId: string, delayMs = OCCUPANCY_INTERVAL_MS): void {
    if (this.pending.has(channelId)) return;
    const timer = setTimeout(() => void this.sendOccupancy(channelId), delayMs);
    timer.unref();
    this.pending.set(channelId, timer);
  }

  /** Sends the current count unless another node sent one less than a second ago (then later). */
  private async sendOccupancy(channelId: string): Promise<void> {
    this.pending.delete(channelId);
    const { redis, store, emitTo } = this.options;
    try {
      if (redis) {
        const lock = redis.key('chat', `{${channelId}}`, 'occupancy');
        const [taken, ttl] = await redis.run(async (client) => {
          const set = await client.set(lock, this.options.nodeId, 'PX', OCCUPANCY_INTERVAL_MS, 'NX');
          return [set === 'OK', set === 'OK' ? 0 : await client.pttl(lock)] as const;
        });
        if (!taken) {
          this.scheduleOccupancy(channelId, Math.max(ttl, 1));
          return;
        }
      }
      emitTo(channelId, 'chat:occupancy', { channelId, count: await store.count(channelId) });
    } catch {
      // Redis is unavailable: try again in a second, the count is only news once it is sent.
      this.scheduleOccupancy(channelId);
    }
  }
}
