/**
 * Presence across the cluster. Online means: some socket of the user is connected on some
 * live node (the connection registry). Offline is announced only after a grace period with
 * no socket, so a reload does not flicker; `announced` in the store makes sure that two
 * nodes never tell watchers the same change twice. Invisible users look offline to others.
 */
import { rooms, type Presence, type presenceSlice } from '@tavern/protocol';
import type { EmitTo, Logger, RealtimeService } from '../../api.js';
import type { ChosenStatus, PresenceEntry, PresenceStore, VisibleStatus } from './presence.store.js';

export class PresenceService {
  /**
   * The entry last read of each user connected to this node (null before the first read):
   * what `restore` writes back if Redis loses its data. A change made on another node reaches
   * this copy at this node's next read of the user.
   */
  private readonly local = new Map<string, PresenceEntry | null>();
  /** Users who came online or went offline on this node so far (see `version`). */
  private arrivals = 0;

  constructor(
    private readonly store: PresenceStore,
    private readonly realtime: RealtimeService,
    private readonly emitTo: EmitTo<typeof presenceSlice>,
    private readonly logger: Logger,
  ) {}

  /** One registry round trip for all of them (those connected here cost nothing). */
  private onlineSet(userIds: readonly string[]): Promise<Set<string>> {
    return this.realtime.onlineUsers(userIds);
  }

  private static visible(entry: PresenceEntry, online: boolean): VisibleStatus {
    if (!online || entry.status === 'invisible') return 'offline';
    return entry.status;
  }

  /** Presences as `viewerId` sees them (a user sees their own invisible status). */
  async list(userIds: readonly string[], viewerId: string): Promise<Presence[]> {
    const { entries, online } = await this.read(userIds);
    return userIds.map((userId) => {
      const entry = entries.get(userId);
      if (!entry) return { userId, status: 'offline', lastSeen: null };
      const isOnline = online.has(userId);
      const status = userId === viewerId && isOnline ? entry.status : PresenceService.visible(entry, isOnline);
      return {
        userId,
        status,
        lastSeen: entry.lastSeen,
        ...(status !== 'offline' && entry.activity !== null && { activity: entry.activity }),
      };
    });
  }

  /** Keeps a copy of the user's entry while they have a socket on this node (see `restore`). */
  track(userId: string): void {
    if (this.local.has(userId)) return;
    this.local.set(userId, null);
    this.arrivals++;
  }

  /** The user's last socket on this node closed. */
  untrack(userId: string): void {
    if (this.local.delete(userId)) this.arrivals++;
  }

  /**
   * A number that changes whenever a status `statuses` answers may have changed: a store
   * write, or a user's first socket on this node connecting or last one closing. Undefined
   * when the store is shared with other nodes, whose changes this node does not see.
   */
  version(): number | undefined {
    const writes = this.store.writes?.();
    return writes === undefined ? undefined : writes + this.arrivals;
  }

  /**
   * Writes back the entries of the users connected here that Redis no longer has (it lost its
   * data). Entries it still has are left alone, so this is a no-op after an outage that lost
   * nothing, and the first of several nodes to restore a user wins.
   */
  async restore(): Promise<void> {
    const known = new Map([...this.local].filter((pair): pair is [string, PresenceEntry] => pair[1] !== null));
    if (known.size === 0) return;
    await this.store.restore(known);
    this.logger.info({ users: known.size }, 'presence restored');
  }

  /** Visible status per user, for member lists (a join ack asks for hundreds: no `Presence` objects). */
  async statuses(userIds: readonly string[]): Promise<Map<string, VisibleStatus>> {
    const { entries, online } = await this.read(userIds);
    const statuses = new Map<string, VisibleStatus>();
    for (const userId of userIds) {
      const entry = entries.get(userId);
      statuses.set(userId, entry ? PresenceService.visible(entry, online.has(userId)) : 'offline');
    }
    return statuses;
  }

  /** The users' entries and which of them are online, keeping the local copies current. */
  private async read(userIds: readonly string[]): Promise<{ entries: ReadonlyMap<string, PresenceEntry>; online: Set<string> }> {
    const [entries, online] = await Promise.all([this.store.get(userIds), this.onlineSet(userIds)]);
    for (const [userId, entry] of entries) if (this.local.has(userId)) this.local.set(userId, entry);
    return { entries, online };
  }

  async choose(userId: string, status: ChosenStatus, activity: string | null, channels: readonly string[] = []): Promise<void> {
    await this.store.update(userId, { status, activity, autoAway: false });
    await this.publish(userId, channels);
  }

  async setAutoAway(userId: string, away: boolean): Promise<void> {
    const entry = (await this.store.get([userId])).get(userId);
    if (!entry) return;
    if (away && entry.status === 'online') await this.store.update(userId, { status: 'away', autoAway: true });
    else if (!away && entry.autoAway) await this.store.update(userId, { status: 'online', autoAway: false });
    else return;
    await this.publish(userId, []);
  }

  async lastSeen(userId: string): Promise<number | null> {
    return (await this.store.get([userId])).get(userId)?.lastSeen ?? null;
  }

  async markSeen(userId: string): Promise<void> {
    await this.store.update(userId, { lastSeen: Date.now() });
  }

  /**
   * Tells watchers (and the channels given) the user's visible status, if it differs from
   * what they were last told.
   */
  async publish(userId: string, channels: readonly string[]): Promise<void> {
    const [presence] = await this.list([userId], '');
    if (!presence) return;
    if (!(await this.store.announce(userId, presence.status as VisibleStatus))) return;
    const kept = this.local.get(userId);
    if (kept) this.local.set(userId, { ...kept, announced: presence.status as VisibleStatus });
    this.emitTo([rooms.presence(userId), ...channels], 'presence:changed', presence);
    this.logger.debug({ userId, status: presence.status }, 'presence changed');
  }
}
