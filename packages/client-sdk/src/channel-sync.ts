/**
 * Gap-free chat for an app: tracks `{ epoch, lastSeq }` per joined channel, hands the app
 * each message once and in `seq` order (reordering what arrives out of order from several
 * nodes), and after every reconnect re-joins its channels and fills the gap with
 * `chat:sync`. When the server says the history cannot be replayed (`complete: false`: too
 * much was missed, or the store lost it and started a new epoch), it calls `onReload` so
 * the app reloads the channel instead of trusting a partial replay.
 *
 * @example
 * const chat = new ChannelSync(client, {
 *   onMessages: (channelId, messages) => render(channelId, messages),
 *   onReload: (channelId) => reloadHistory(channelId),
 * });
 * const joined = await chat.join('global:main');
 */
import type { ChannelInfo, ChatJoinResult, Message, Result } from '@tavern/protocol';
import type { TavernClient } from './create-client.js';

export interface ChannelSyncOptions {
  /** New messages of a channel, in order, each exactly once. */
  onMessages: (channelId: string, messages: readonly Message[]) => void;
  /** The channel's history could not be replayed; reload it (the cursor now points at its end). */
  onReload?: (channelId: string, channel: { epoch: string; lastSeq: number }) => void;
  /** How long a gap in `seq` may wait for the missing message before a `chat:sync`. @default 500 */
  gapTimeoutMs?: number;
}

/** Delivered ids remembered per channel, to notice a history that started over. */
const REMEMBERED = 1_000;

interface Tracked {
  epoch: string;
  lastSeq: number;
  /** seq -> id of recently delivered messages. */
  recent: Map<number, string>;
  /** Messages that arrived ahead of a gap, by seq. */
  ahead: Map<number, Message>;
  /** True while a sync for this channel is running: live messages wait in `ahead`. */
  syncing: boolean;
  gapTimer: ReturnType<typeof setTimeout> | null;
}

export class ChannelSync {
  private readonly channels = new Map<string, Tracked>();
  private readonly stops: (() => void)[] = [];

  constructor(
    private readonly client: TavernClient,
    private readonly options: ChannelSyncOptions,
  ) {
    this.stops.push(
      client.on('chat:message', (message) => this.receive(message)),
      // Every new connection lost the room memberships of the one before.
      client.on('session:ready', () => void this.resume()),
    );
  }

  /** Where the app is in each channel (what a reconnect resumes from). */
  cursor(channelId: string): { epoch: string; lastSeq: number } | null {
    const tracked = this.channels.get(channelId);
    return tracked ? { epoch: tracked.epoch, lastSeq: tracked.lastSeq } : null;
  }

  /** Joins and starts tracking; the history in the result is the app's starting point. */
  async join(channelId: string, historyLimit?: number): Promise<Result<ChatJoinResult>> {
    const result = await this.client.request('chat:join', { channelId, ...(historyLimit !== undefined && { historyLimit }) });
    if (result.ok) this.track(channelId, result.data.channel);
    return result;
  }

  async leave(channelId: string): Promise<void> {
    this.untrack(channelId);
    await this.client.request('chat:leave', { channelId });
  }

  /** Stops listening; tracked channels stay joined on the server until the socket closes. */
  dispose(): void {
    for (const stop of this.stops.splice(0)) stop();
    for (const channelId of [...this.channels.keys()]) this.untrack(channelId);
  }

  private track(channelId: string, channel: ChannelInfo): void {
    this.untrack(channelId);
    this.channels.set(channelId, { epoch: channel.epoch, lastSeq: channel.lastSeq, recent: new Map(), ahead: new Map(), syncing: false, gapTimer: null });
  }

  private untrack(channelId: string): void {
    const tracked = this.channels.get(channelId);
    if (tracked?.gapTimer) clearTimeout(tracked.gapTimer);
    this.channels.delete(channelId);
  }

  private receive(message: Message): void {
    const tracked = this.channels.get(message.channelId);
    if (!tracked) return;
    if (message.seq <= tracked.lastSeq) {
      // Already delivered, unless the server's history started over (a new epoch after it
      // lost its data while this connection stayed up): then the same seq has another id.
      const known = tracked.recent.get(message.seq);
      if (known !== undefined && known !== message.id && !tracked.syncing) void this.sync([message.channelId]);
      return;
    }
    tracked.ahead.set(message.seq, message);
    if (!tracked.syncing) this.deliverInOrder(message.channelId, tracked);
  }

  /** Hands over every message that continues the sequence; waits (then syncs) on a gap. */
  private deliverInOrder(channelId: string, tracked: Tracked): void {
    const ready: Message[] = [];
    let next = tracked.ahead.get(tracked.lastSeq + 1);
    while (next) {
      ready.push(next);
      tracked.ahead.delete(next.seq);
      tracked.lastSeq = next.seq;
      tracked.recent.set(next.seq, next.id);
      tracked.recent.delete(next.seq - REMEMBERED);
      next = tracked.ahead.get(tracked.lastSeq + 1);
    }
    if (ready.length > 0) this.options.onMessages(channelId, ready);
    if (tracked.gapTimer) clearTimeout(tracked.gapTimer);
    tracked.gapTimer = null;
    if (tracked.ahead.size > 0) {
      tracked.gapTimer = setTimeout(() => {
        tracked.gapTimer = null;
        void this.sync([channelId]);
      }, this.options.gapTimeoutMs ?? 500);
    }
  }

  /** After a reconnect: join every tracked channel again, then fetch what was missed. */
  private async resume(): Promise<void> {
    const channelIds = [...this.channels.keys()];
    if (channelIds.length === 0) return;
    for (const channelId of channelIds) {
      const tracked = this.channels.get(channelId);
      if (tracked) tracked.syncing = true;
    }
    await Promise.all(channelIds.map((channelId) => this.client.request('chat:join', { channelId, historyLimit: 0 }).catch(() => null)));
    await this.sync(channelIds);
  }

  private async sync(channelIds: readonly string[]): Promise<void> {
    const cursors = channelIds.flatMap((channelId) => {
      const tracked = this.channels.get(channelId);
      if (!tracked) return [];
      tracked.syncing = true;
      return [{ channelId, epoch: tracked.epoch, lastSeq: tracked.lastSeq }];
    });
    const result = await this.client.request('chat:sync', { cursors }).catch(() => null);
    if (!result?.ok && this.client.state === 'connected') {
      // Storage briefly unavailable: try again while the connection lasts (a new connection
      // resumes by itself).
      setTimeout(() => void this.sync(channelIds), 1_000);
    }
    for (const { channelId } of cursors) {
      const tracked = this.channels.get(channelId);
      if (!tracked) continue;
      tracked.syncing = false;
      const synced = result?.ok ? result.data.channels.find((channel) => channel.channelId === channelId) : undefined;
      if (!synced) {
        // The sync itself failed (connection lost again): the next session:ready retries.
        continue;
      }
      for (const message of synced.messages) if (message.seq > tracked.lastSeq) tracked.ahead.set(message.seq, message);
      if (!synced.complete) {
        // Start again from the channel's end; the app reloads what it shows.
        const joined = await this.client.request('chat:join', { channelId, historyLimit: 0 }).catch(() => null);
        const { epoch, lastSeq } = joined?.ok ? joined.data.channel : { epoch: synced.epoch, lastSeq: tracked.lastSeq };
        tracked.epoch = epoch;
        tracked.lastSeq = lastSeq;
        tracked.recent.clear();
        for (const seq of tracked.ahead.keys()) if (seq <= lastSeq) tracked.ahead.delete(seq);
        this.options.onReload?.(channelId, { epoch, lastSeq });
        this.deliverInOrder(channelId, tracked);
        continue;
      }
      this.deliverInOrder(channelId, tracked);
    }
  }
}
