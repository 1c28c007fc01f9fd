/**
 * The worker's side of the seeds scenario: sends the mixed load (chat, typing, presence,
 * read receipts) and times what comes back. A chat message carries its send time; typing,
 * presence and receipts do not, so the sender notes when it sent one (by user and state) and
 * every receiver in this worker looks that up: all members of a room live in one worker.
 */
import type { EioClient } from './eio-client.js';
import { startsWith } from './eio-client.js';
import { emptyTally, tally, type ClientSpec, type FillArgs, type FillResult, type MixArgs, type MixResult, type MixStats } from './commands.js';
import { Histogram } from './histogram.js';

const TYPING = Buffer.from('42["chat:typing"');
const PRESENCE = Buffer.from('42["presence:changed"');
const RECEIPT = Buffer.from('42["chat:read"');
const USER_KEY = Buffer.from('"userId":"');
const STATUS_KEY = Buffer.from('"status":"');
const TYPING_TRUE = Buffer.from('"typing":true');
const SEQ_KEY = Buffer.from('"seq":');

/** The string value after `key` (up to the next quote), or null. */
function stringAfter(frame: Buffer, key: Buffer): string | null {
  const at = frame.indexOf(key);
  if (at < 0) return null;
  const start = at + key.length;
  const end = frame.indexOf(0x22, start);
  return end < 0 ? null : frame.toString('latin1', start, end);
}

function integerAfter(frame: Buffer, key: Buffer): number {
  const at = frame.indexOf(key);
  if (at < 0) return 0;
  let value = 0;
  for (let index = at + key.length; index < frame.length; index++) {
    const digit = (frame[index] ?? 0) - 0x30;
    if (digit < 0 || digit > 9) break;
    value = value * 10 + digit;
  }
  return value;
}

export interface MixHost {
  clients(): readonly EioClient[];
  specs(): readonly ClientSpec[];
  now(): number;
  chatFrame(channelId: string, sentAtMs: number, tag: string, n: number): string;
}

export class SeedsMix {
  private readonly typing = new Histogram();
  private readonly presence = new Histogram();
  private readonly receipts = new Histogram();
  private unmatched = 0;
  /** `${userId}:${state}` -> when it was sent. */
  private readonly sentAt = new Map<string, number>();
  /** The newest chat seq each client saw (what it marks as read). */
  private readonly lastSeq: number[] = [];
  /** Until when a client is typing: it sends no chat then (a send would stop its indicator). */
  private readonly typingUntil: number[] = [];
  /** Each client's presence flips between away and online. */
  private readonly away: boolean[] = [];

  constructor(private readonly host: MixHost) {}

  reset(): void {
    this.typing.reset();
    this.presence.reset();
    this.receipts.reset();
    this.unmatched = 0;
  }

  stats(): MixStats {
    return { typing: this.typing.toJSON(), presence: this.presence.toJSON(), receipts: this.receipts.toJSON(), unmatched: this.unmatched };
  }

  /** A chat message reached a client: remember its seq for the next read. */
  onChatMessage(index: number, frame: Buffer): void {
    const seq = integerAfter(frame, SEQ_KEY);
    if (seq > (this.lastSeq[index] ?? 0)) this.lastSeq[index] = seq;
  }

  /** True when the frame was one of the mix's events. */
  onEvent(frame: Buffer): boolean {
    let histogram: Histogram;
    let state: string | null;
    if (startsWith(frame, TYPING)) {
      histogram = this.typing;
      state = frame.indexOf(TYPING_TRUE) >= 0 ? 'typing' : 'idle';
    } else if (startsWith(frame, PRESENCE)) {
      histogram = this.presence;
      state = stringAfter(frame, STATUS_KEY);
    } else if (startsWith(frame, RECEIPT)) {
      histogram = this.receipts;
      state = 'read';
    } else {
      return false;
    }
    const userId = stringAfter(frame, USER_KEY);
    const sent = userId === null || state === null ? undefined : this.sentAt.get(`${userId}:${state}`);
    if (sent === undefined) this.unmatched++;
    else histogram.record(this.host.now() - sent);
    return true;
  }

  /** Sends `perClient` messages from every member, round-robin, `concurrency` at a time. */
  async fill(args: FillArgs): Promise<FillResult> {
    const clients = this.host.clients();
    const specs = this.host.specs();
    const members = clients.map((_, index) => index).filter((index) => specs[index]?.channelId !== undefined);
    const errors = emptyTally();
    const total = members.length * args.perClient;
    let next = 0;
    let acked = 0;
    let failed = 0;
    const started = performance.now();
    const lane = async () => {
      while (next < total) {
        const n = next++;
        const index = members[n % members.length] as number;
        const frame = this.host.chatFrame(specs[index]?.channelId as string, this.host.now(), `${args.tag}-${index}`, n);
        const result = await (clients[index] as EioClient).requestRaw(frame, false, args.timeoutMs);
        if (result.ok) acked++;
        else {
          failed++;
          tally(errors, result.code ?? 'UNKNOWN', result.message ?? '');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(args.concurrency, total) }, lane));
    return { acked, failed, errors, elapsedMs: performance.now() - started };
  }

  async run(args: MixArgs): Promise<MixResult> {
    const clients = this.host.clients();
    const specs = this.host.specs();
    const members = clients.map((_, index) => index).filter((index) => specs[index]?.channelId !== undefined);
    const errors = emptyTally();
    const ack = { chat: new Histogram(), presence: new Histogram(), read: new Histogram() };
    const sent = { chat: 0, typing: 0, presence: 0, read: 0 };
    const acked = { chat: 0, presence: 0, read: 0 };
    let failed = 0;
    let inFlight = 0;
    const stops = new Set<NodeJS.Timeout>();
    const pick = () => members[Math.floor(Math.random() * members.length)];

    const request = (kind: 'chat' | 'presence' | 'read', client: EioClient, frame: string) => {
      const at = this.host.now();
      sent[kind]++;
      inFlight++;
      void client.requestRaw(frame).then((result) => {
        inFlight--;
        if (result.ok) {
          acked[kind]++;
          ack[kind].record(this.host.now() - at);
        } else {
          failed++;
          tally(errors, result.code ?? 'UNKNOWN', `${kind}: ${result.message ?? ''}`);
        }
      });
    };

    const senders = {
      chat: (index: number, now: number) => {
        if ((this.typingUntil[index] ?? 0) > now) return false;
        const channelId = specs[index]?.channelId as string;
        request('chat', clients[index] as EioClient, this.host.chatFrame(channelId, now, `${args.tag}-${index}`, sent.chat + 1));
        return true;
      },
      typing: (index: number, now: number) => {
        // A second apart at least: the production limit of chat:typing (2/s per socket) holds.
        if ((this.typingUntil[index] ?? 0) + 1_000 > now) return false;
        const client = clients[index] as EioClient;
        const spec = specs[index] as ClientSpec;
        const channelId = spec.channelId as string;
        this.typingUntil[index] = now + args.typingHoldMs + 100;
        this.sentAt.set(`${spec.userId}:typing`, now);
        // Until its stop goes out: a stop the server sends by itself (its 5-s expiry, when this
        // worker's timer ran that late) is counted as unmatched, not timed against an old stop.
        this.sentAt.delete(`${spec.userId}:idle`);
        client.emitRaw(JSON.stringify(['chat:typing', { channelId, typing: true }]));
        sent.typing++;
        const stop = setTimeout(() => {
          stops.delete(stop);
          if (!client.open) return;
          this.sentAt.set(`${spec.userId}:idle`, this.host.now());
          client.emitRaw(JSON.stringify(['chat:typing', { channelId, typing: false }]));
          sent.typing++;
        }, args.typingHoldMs);
        stops.add(stop);
        return true;
      },
      presence: (index: number, now: number) => {
        const spec = specs[index] as ClientSpec;
        const status = this.away[index] ? 'online' : 'away';
        this.away[index] = !this.away[index];
        this.sentAt.set(`${spec.userId}:${status}`, now);
        request('presence', clients[index] as EioClient, JSON.stringify(['presence:set', { status }]));
        return true;
      },
      read: (index: number, now: number) => {
        const spec = specs[index] as ClientSpec;
        this.sentAt.set(`${spec.userId}:read`, now);
        request('read', clients[index] as EioClient, JSON.stringify(['chat:read', { channelId: spec.channelId, seq: Math.max(1, this.lastSeq[index] ?? 0) }]));
        return true;
      },
    };
    // A typing start is followed by its stop: starts go out at half the signal rate.
    const rates = { chat: args.chatPerSec, typing: args.typingPerSec / 2, presence: args.presencePerSec, read: args.readPerSec };
    const done = { chat: 0, typing: 0, presence: 0, read: 0 };
    const kinds = ['chat', 'typing', 'presence', 'read'] as const;

    const started = performance.now();
    if (members.length > 0) {
      await new Promise<void>((resolve) => {
        const tick = () => {
          const elapsed = performance.now() - started;
          if (elapsed >= args.durationMs) {
            resolve();
            return;
          }
          const now = this.host.now();
          for (const kind of kinds) {
            const due = Math.floor((elapsed * rates[kind]) / 1000) + (rates[kind] > 0 ? 1 : 0);
            // A few tries per event: a busy client (typing, for a chat) is passed over.
            for (let tries = 0; done[kind] < due && tries < 4 * (due - done[kind]) + 4; tries++) {
              const index = pick();
              if (index === undefined || !(clients[index] as EioClient).open) continue;
              if (senders[kind](index, now)) done[kind]++;
            }
          }
          setTimeout(tick, 1);
        };
        tick();
      });
    }
    const elapsedMs = performance.now() - started;
    // The last stops go out, then the last acks come back.
    await new Promise((resolve) => setTimeout(resolve, stops.size > 0 ? args.typingHoldMs : 0));
    const deadline = performance.now() + args.drainMs;
    while (inFlight > 0 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    for (const stop of stops) clearTimeout(stop);
    return {
      sent,
      acked,
      failed,
      unacked: inFlight,
      errors,
      ack: { chat: ack.chat.toJSON(), presence: ack.presence.toJSON(), read: ack.read.toJSON() },
      elapsedMs,
    };
  }
}
