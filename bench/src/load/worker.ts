/**
 * A load-generator process: holds many bench clients and runs what the orchestrator asks
 * over IPC (connect, join, send at a rate, move, churn), then reports counts and latency
 * histograms. It parses as little as it can: events are recognised by their first bytes,
 * a chat message's send time is read straight out of the frame.
 */
import { ConnectError, EioClient, startsWith, type AckResult, type ClientSink } from './eio-client.js';
import {
  emptyTally,
  tally,
  type ClientSpec,
  type ClosedLoopArgs,
  type ConnectArgs,
  type ConnectResult,
  type CreateRoomsArgs,
  type CreateRoomsResult,
  type ErrorTally,
  type MoveArgs,
  type MoveResult,
  type OpenLoopArgs,
  type PacedArgs,
  type RequestAllArgs,
  type RequestAllResult,
  type SendResult,
  type SoakArgs,
  type SoakResult,
  type WorkerCommands,
  type WorkerStats,
} from './commands.js';
import { CHARACTER_CORRECTION, CHARACTER_ID_KEY, CHARACTER_MOVED, CHAT_MESSAGE, countOccurrences, ERROR_EVENT, RATE_LIMITED, sentAt, SESSION_ENDED, ZONE_SNAPSHOT } from './frames.js';
import { Histogram } from './histogram.js';
import { serveCommands, type CommandHandlers } from './ipc.js';
import { SeedsMix } from './mix.js';
import { signToken } from './token.js';

const PROTOCOL_VERSION = 1;

/** Epoch milliseconds with sub-millisecond precision, comparable across processes on one machine. */
const nowMs = (): number => performance.timeOrigin + performance.now();

interface ZoneInfo {
  x: number;
  y: number;
  width: number;
  height: number;
  maxSpeed: number;
}

class Stats {
  latency = new Map<string, Histogram>();
  chatMessagesByGroup = new Map<string, number>();
  chatMessages = 0;
  snapshots = 0;
  probeSnapshots = 0;
  probePositions = 0;
  moved = 0;
  corrections = 0;
  otherEvents = 0;
  errors: ErrorTally = emptyTally();
  serverCloses = 0;
  private cpuStart = process.cpuUsage();
  private wallStart = performance.now();

  reset(): void {
    for (const histogram of this.latency.values()) histogram.reset();
    this.chatMessagesByGroup.clear();
    this.chatMessages = 0;
    this.snapshots = 0;
    this.probeSnapshots = 0;
    this.probePositions = 0;
    this.moved = 0;
    this.corrections = 0;
    this.otherEvents = 0;
    this.errors = emptyTally();
    this.serverCloses = 0;
    this.cpuStart = process.cpuUsage();
    this.wallStart = performance.now();
  }

  histogram(group: string): Histogram {
    let histogram = this.latency.get(group);
    if (!histogram) {
      histogram = new Histogram();
      this.latency.set(group, histogram);
    }
    return histogram;
  }

  snapshot(openClients: number): WorkerStats {
    const cpu = process.cpuUsage(this.cpuStart);
    return {
      latency: Object.fromEntries([...this.latency].map(([group, histogram]) => [group, histogram.toJSON()])),
      chatMessages: this.chatMessages,
      chatMessagesByGroup: Object.fromEntries(this.chatMessagesByGroup),
      snapshots: this.snapshots,
      probeSnapshots: this.probeSnapshots,
      probePositions: this.probePositions,
      moved: this.moved,
      corrections: this.corrections,
      otherEvents: this.otherEvents,
      errors: this.errors,
      serverCloses: this.serverCloses,
      openClients,
      cpuMs: (cpu.user + cpu.system) / 1000,
      wallMs: performance.now() - this.wallStart,
    };
  }
}

const stats = new Stats();
let clients: EioClient[] = [];
let specs: ClientSpec[] = [];
let zones: (ZoneInfo | null)[] = [];
let groups: Histogram[] = [];
let groupNames: string[] = [];
/** The seeds scenario's mix; it reads chat seqs only once a mix has run (other scenarios pay nothing). */
const mix = new SeedsMix({ clients: () => clients, specs: () => specs, now: () => nowMs(), chatFrame: (...args) => chatFrame(...args) });
let mixActive = false;

const sink: ClientSink = {
  onEvent(client, frame) {
    if (startsWith(frame, CHAT_MESSAGE)) {
      stats.chatMessages++;
      const group = groupNames[client.index] ?? 'all';
      stats.chatMessagesByGroup.set(group, (stats.chatMessagesByGroup.get(group) ?? 0) + 1);
      const sent = sentAt(frame);
      if (sent > 0) groups[client.index]?.record(nowMs() - sent);
      if (mixActive) mix.onChatMessage(client.index, frame);
    } else if (mixActive && mix.onEvent(frame)) {
      // typing, presence or a read receipt, timed by the mix
    } else if (startsWith(frame, ZONE_SNAPSHOT)) {
      stats.snapshots++;
      if (specs[client.index]?.probe) {
        stats.probeSnapshots++;
        stats.probePositions += countOccurrences(frame, CHARACTER_ID_KEY);
      }
    } else if (startsWith(frame, CHARACTER_MOVED)) {
      stats.moved++;
    } else if (startsWith(frame, CHARACTER_CORRECTION)) {
      stats.corrections++;
    } else if (startsWith(frame, ERROR_EVENT)) {
      tally(stats.errors, 'error-event', frame.toString('utf8', 0, 300));
    } else if (startsWith(frame, RATE_LIMITED)) {
      tally(stats.errors, 'rate:limited', frame.toString('utf8', 0, 300));
    } else if (startsWith(frame, SESSION_ENDED)) {
      tally(stats.errors, 'session:ended', frame.toString('utf8', 0, 300));
    } else {
      stats.otherEvents++;
    }
  },
  onClose(_client, byServer) {
    if (byServer) {
      stats.serverCloses++;
      tally(stats.errors, 'closed-by-server', 'the server closed a connection');
    }
  },
};

/** Runs `task(i)` for i in 0..count-1 with at most `concurrency` at a time. */
async function pool(count: number, concurrency: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) {
      const index = next++;
      await task(index);
    }
  });
  await Promise.all(lanes);
}

function authFor(spec: ClientSpec, secret: string): Record<string, unknown> {
  const token = signToken(secret, {
    sub: spec.userId,
    name: spec.name ?? spec.userId,
    ...(spec.cid !== undefined && { cid: spec.cid }),
    ...(spec.guilds !== undefined && { guilds: spec.guilds }),
  });
  return { token, v: PROTOCOL_VERSION };
}

async function connect(args: ConnectArgs): Promise<ConnectResult> {
  const base = clients.length;
  const auths = args.clients.map((spec) => authFor(spec, args.secret));
  const fresh = args.clients.map((spec, offset) => {
    const client = new EioClient(sink);
    client.index = base + offset;
    return client;
  });
  clients.push(...fresh);
  specs.push(...args.clients);
  zones.push(...args.clients.map(() => null));
  for (const spec of args.clients) {
    const group = spec.group ?? 'all';
    groupNames.push(group);
    groups.push(stats.histogram(group));
  }
  const errors = emptyTally();
  let connected = 0;
  const handshake = async (offset: number) => {
    const spec = args.clients[offset] as ClientSpec;
    try {
      await (fresh[offset] as EioClient).connect(spec.url, auths[offset] as Record<string, unknown>, args.timeoutMs);
      connected++;
    } catch (error) {
      const code = error instanceof ConnectError ? error.code : 'ERROR';
      tally(errors, code, (error as Error).message);
    }
  };
  const started = performance.now();
  if (args.ratePerSec === undefined) await pool(fresh.length, args.concurrency, handshake);
  else await atRate(fresh.length, args.ratePerSec, handshake);
  return { connected, failed: fresh.length - connected, errors, elapsedMs: performance.now() - started };
}

/** Starts `task(i)` at i / ratePerSec seconds for i in 0..count-1, whatever is in flight. */
async function atRate(count: number, ratePerSec: number, task: (index: number) => Promise<void>): Promise<void> {
  const interval = 1000 / ratePerSec;
  const running: Promise<void>[] = [];
  const started = performance.now();
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(count, Math.floor((performance.now() - started) / interval) + 1);
      while (running.length < due) running.push(task(running.length));
      if (running.length === count) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  await Promise.all(running);
}

async function requestAll(args: RequestAllArgs): Promise<RequestAllResult> {
  const errors = emptyTally();
  let ok = 0;
  let firstData: unknown = null;
  const started = performance.now();
  await pool(clients.length, args.concurrency, async (index) => {
    const client = clients[index] as EioClient;
    const spec = specs[index] as ClientSpec;
    if (!client.open) return;
    let payload: unknown;
    if (args.payload.kind === 'same') {
      payload = args.payload.value;
    } else {
      if (spec.channelId === undefined) return;
      payload = { channelId: spec.channelId, ...args.payload.extra };
    }
    const result = await client.request(args.event, payload, args.keepZone === true || firstData === null, args.timeoutMs);
    if (!result.ok) {
      tally(errors, result.code ?? 'UNKNOWN', result.message ?? '');
      return;
    }
    ok++;
    firstData ??= result.data ?? null;
    if (args.keepZone) {
      const data = result.data as { zone: { width: number; height: number; maxSpeed: number }; you: { x: number; y: number } };
      zones[index] = { x: data.you.x, y: data.you.y, width: data.zone.width, height: data.zone.height, maxSpeed: data.zone.maxSpeed };
    }
  });
  const attempted = clients.filter((client) => client.open).length;
  return { ok, failed: Math.max(0, attempted - ok), errors, elapsedMs: performance.now() - started, firstData };
}

function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const deadline = performance.now() + timeoutMs;
    const check = () => {
      if (condition() || performance.now() >= deadline) resolve();
      else setTimeout(check, 5);
    };
    check();
  });
}

function chatFrame(channelId: string, sentAtMs: number, tag: string, n: number): string {
  const id = `${tag}-${n}`;
  return JSON.stringify(['chat:send', { channelId, content: `${sentAtMs.toFixed(3)} ${id}`, clientMsgId: id }]);
}

/** What one run of sends counted: acks with their latency, refusals by code. */
class SendTally {
  readonly ack = new Histogram();
  readonly errors = emptyTally();
  sent = 0;
  acked = 0;
  failed = 0;

  answered(result: AckResult, latencyMs: number): void {
    if (result.ok) {
      this.acked++;
      this.ack.record(latencyMs);
    } else {
      this.failed++;
      tally(this.errors, result.code ?? 'UNKNOWN', result.message ?? '');
    }
  }

  result(elapsedMs: number): SendResult {
    const { sent, acked, failed, errors } = this;
    return { sent, acked, failed, unacked: Math.max(0, sent - acked - failed), errors, ack: this.ack.toJSON(), elapsedMs };
  }
}

async function openLoop(args: OpenLoopArgs): Promise<SendResult> {
  const client = clients[args.client];
  if (!client) throw new Error(`no client ${args.client}`);
  const counts = new SendTally();
  const interval = 1000 / args.ratePerSec;
  // Send i goes out at i × interval, i in [0, total): exactly rate × duration sends.
  const total = Math.max(1, Math.round(args.ratePerSec * (args.durationMs / 1000)));
  const started = performance.now();
  await new Promise<void>((resolve) => {
    const tick = () => {
      const elapsed = performance.now() - started;
      if (elapsed >= args.durationMs) {
        resolve();
        return;
      }
      const due = Math.min(total, Math.floor(elapsed / interval) + 1);
      while (counts.sent < due && client.inFlight < args.maxInFlight && client.open) {
        const at = nowMs();
        counts.sent++;
        void client.requestRaw(chatFrame(args.channelId, at, args.tag, counts.sent)).then((result) => counts.answered(result, nowMs() - at));
      }
      setTimeout(tick, 1);
    };
    tick();
  });
  const elapsedMs = performance.now() - started;
  await waitUntil(() => client.inFlight === 0, args.drainMs);
  return counts.result(elapsedMs);
}

async function closedLoop(args: ClosedLoopArgs): Promise<SendResult> {
  const counts = new SendTally();
  let stopped = false;
  const started = performance.now();
  const windowStart = started + args.warmupMs;
  const windowEnd = windowStart + args.durationMs;
  const loops = clients.map(async (client, index) => {
    const channelId = specs[index]?.channelId;
    if (channelId === undefined) return;
    let n = 0;
    while (!stopped && client.open) {
      const at = nowMs();
      const t0 = performance.now();
      n++;
      const result = await client.requestRaw(chatFrame(channelId, at, `${args.tag}-${index}`, n));
      const t1 = performance.now();
      if (t0 >= windowStart && t1 <= windowEnd) {
        counts.sent++;
        counts.answered(result, t1 - t0);
      } else if (!result.ok) {
        tally(counts.errors, result.code ?? 'UNKNOWN', result.message ?? '');
      }
      if (!result.ok) await new Promise((resolve) => setTimeout(resolve, 10));
    }
  });
  await new Promise((resolve) => setTimeout(resolve, args.warmupMs + args.durationMs));
  stopped = true;
  await Promise.race([Promise.all(loops), new Promise((resolve) => setTimeout(resolve, args.drainMs))]);
  return counts.result(args.durationMs);
}

/**
 * The open-loop counterpart of `closedLoop`: sends go out at `ratePerSec` whatever the server
 * does, so the server's CPU per send can be compared at the same load. A client whose last
 * send is still unanswered is passed over.
 */
async function paced(args: PacedArgs): Promise<SendResult> {
  const counts = new SendTally();
  let n = 0;
  let next = 0;
  const started = performance.now();
  const windowStart = started + args.warmupMs;
  const windowEnd = windowStart + args.durationMs;
  const interval = 1000 / args.ratePerSec;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      if (now >= windowEnd) {
        resolve();
        return;
      }
      const due = Math.floor((now - started) / interval) + 1;
      // At most one pass over the clients per tick: a server that falls behind is not flooded.
      for (let tried = 0; n < due && tried < clients.length; tried++) {
        const index = next;
        next = (next + 1) % clients.length;
        const client = clients[index];
        const channelId = specs[index]?.channelId;
        if (!client?.open || channelId === undefined || client.inFlight > 0) continue;
        n++;
        const t0 = performance.now();
        if (t0 >= windowStart) counts.sent++;
        void client.requestRaw(chatFrame(channelId, nowMs(), `${args.tag}-${index}`, n)).then((result) => {
          // Answers are counted by when they arrive: acks per second of the window.
          const t1 = performance.now();
          if (t1 >= windowStart && t1 <= windowEnd) counts.answered(result, t1 - t0);
        });
      }
      setTimeout(tick, 1);
    };
    tick();
  });
  await waitUntil(() => clients.every((client) => client.inFlight === 0), args.drainMs);
  return counts.result(args.durationMs);
}

async function move(args: MoveArgs): Promise<MoveResult> {
  const period = 1000 / args.hz;
  let moves = 0;
  let skipped = 0;
  const timers: NodeJS.Timeout[] = [];
  clients.forEach((client, index) => {
    const zone = zones[index];
    if (!zone) {
      skipped++;
      return;
    }
    // Half the allowed distance per move, back and forth around the spawn point.
    const step = Math.max(0.001, Math.min((zone.maxSpeed / args.hz) * 0.5, zone.width / 100));
    const direction = zone.x + step <= zone.width ? 1 : -1;
    let seq = 0;
    const send = () => {
      if (!client.open) return;
      seq++;
      const x = seq % 2 === 1 ? zone.x + direction * step : zone.x;
      client.emitRaw(JSON.stringify(['character:move', { x, y: zone.y, seq }]));
      moves++;
    };
    timers.push(
      setTimeout(() => {
        send();
        timers.push(setInterval(send, period));
      }, (index / clients.length) * period),
    );
  });
  await new Promise((resolve) => setTimeout(resolve, args.durationMs));
  for (const timer of timers) clearTimeout(timer);
  return { moves, skipped };
}

async function soak(args: SoakArgs): Promise<SoakResult> {
  const errors = emptyTally();
  let reconnects = 0;
  let reconnectFailures = 0;
  let sent = 0;
  let acked = 0;
  let failed = 0;
  let n = 0;
  const busy = new Set<number>();
  const random = () => Math.floor(Math.random() * clients.length);

  const churn = setInterval(() => {
    for (let k = 0; k < args.churnPerSec; k++) {
      const index = random();
      const client = clients[index] as EioClient;
      const spec = specs[index] as ClientSpec;
      // A client with a send in flight is left alone: hanging up would lose its ack.
      if (busy.has(index) || !client.open || client.inFlight > 0) continue;
      busy.add(index);
      client.close();
      const fresh = new EioClient(sink);
      fresh.index = index;
      clients[index] = fresh;
      void (async () => {
        try {
          await fresh.connect(spec.url, authFor(spec, args.secret), args.timeoutMs);
          if (args.chatPerSec > 0 && spec.channelId !== undefined) {
            const joined = await fresh.request('chat:join', { channelId: spec.channelId, historyLimit: 0 }, false, args.timeoutMs);
            if (!joined.ok) tally(errors, joined.code ?? 'UNKNOWN', `chat:join: ${joined.message}`);
          }
          reconnects++;
        } catch (error) {
          reconnectFailures++;
          tally(errors, error instanceof ConnectError ? error.code : 'ERROR', (error as Error).message);
        } finally {
          busy.delete(index);
        }
      })();
    }
  }, 1000);

  const perTick = args.chatPerSec / 10;
  let credit = 0;
  const chat = setInterval(() => {
    credit += perTick;
    while (credit >= 1) {
      credit--;
      const index = random();
      const client = clients[index] as EioClient;
      const channelId = specs[index]?.channelId;
      if (!client.open || channelId === undefined || busy.has(index)) continue;
      n++;
      sent++;
      void client.requestRaw(chatFrame(channelId, nowMs(), `soak-${index}`, n), false, args.timeoutMs).then((result) => {
        if (result.ok) {
          acked++;
        } else {
          failed++;
          tally(errors, result.code ?? 'UNKNOWN', result.message ?? '');
        }
      });
    }
  }, 100);

  await new Promise((resolve) => setTimeout(resolve, args.durationMs));
  clearInterval(churn);
  clearInterval(chat);
  await waitUntil(() => busy.size === 0 && clients.every((client) => client.inFlight === 0), args.timeoutMs);
  return { reconnects, reconnectFailures, sent, acked, failed, unacked: sent - acked - failed, errors };
}

async function createRooms(args: CreateRoomsArgs): Promise<CreateRoomsResult> {
  const client = clients[args.client];
  if (!client) throw new Error(`no client ${args.client}`);
  const errors = emptyTally();
  const channelIds: string[] = [];
  for (let n = 0; n < args.count; n++) {
    const result = await client.request('chat:create', { name: `${args.namePrefix} ${n}`, visibility: 'public' }, true, args.timeoutMs);
    if (result.ok) channelIds.push((result.data as { channelId: string }).channelId);
    else tally(errors, result.code ?? 'UNKNOWN', result.message ?? '');
  }
  return { channelIds, errors };
}

function closeAll(): null {
  for (const client of clients) client.terminate();
  clients = [];
  specs = [];
  zones = [];
  groups = [];
  groupNames = [];
  return null;
}

const handlers: CommandHandlers<WorkerCommands> = {
  connect,
  requestAll,
  openLoop,
  closedLoop,
  paced,
  move,
  createRooms,
  soak,
  reset: () => {
    stats.reset();
    mix.reset();
    return null;
  },
  stats: () => stats.snapshot(clients.filter((client) => client.open).length),
  closeAll,
  mix: (args) => {
    mixActive = true;
    return mix.run(args);
  },
  mixStats: () => mix.stats(),
  fill: (args) => mix.fill(args),
};

serveCommands<WorkerCommands>(handlers);
