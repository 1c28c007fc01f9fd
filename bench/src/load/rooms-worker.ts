/**
 * The load-generator process of the game-room scenario: bots that are real clients of each
 * server, the Tavern SDK (`withRooms(createClient(...)).rooms`, over socket.io-client) or
 * Colyseus's own client (`colyseus.js`). Each bot sends one input at a fixed rate and reads
 * its own score in the synced state it holds: score n means its n-th input is in, so the
 * time from sending input n to the first state with score ≥ n is that input's patch
 * latency. Bytes received are counted on every TCP socket this process opens
 * (`net.client.socket`), WebSocket framing included, the same way for both clients.
 */
import { subscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { createClient, withRooms, type GameRoom } from '@tavern/client-sdk';
import { Client as ColyseusClient, type Room as ColyseusRoom } from 'colyseus.js';
import { botInput, COLYSEUS_INPUT, ROOM_TYPE, TAVERN_INPUT, type Input } from '../rooms/game.js';
import type { BenchState, benchContract } from '../rooms/tavern-room.js';
import { emptyTally, tally, type ErrorTally } from './commands.js';
import { Histogram } from './histogram.js';
import { serveCommands, type CommandHandlers } from './ipc.js';
import type { PlayArgs, PlayResult, RoomsJoinArgs, RoomsJoinResult, RoomsStats, RoomsWorkerCommands } from './rooms-commands.js';
import { signToken } from './token.js';

/** Epoch milliseconds with sub-millisecond precision. */
const nowMs = (): number => performance.timeOrigin + performance.now();

const sockets = new Set<Socket>();
subscribe('net.client.socket', (message) => {
  const { socket } = message as { socket: Socket };
  sockets.add(socket);
});
const bytesRead = () => {
  let total = 0;
  for (const socket of sockets) total += socket.bytesRead;
  return total;
};

class Stats {
  latency = new Histogram();
  inputsSent = 0;
  inputsSeen = 0;
  stateChanges = 0;
  errors: ErrorTally = emptyTally();
  dropped = 0;
  since = nowMs();
  private bytesAtReset = bytesRead();
  private cpuAtReset = process.cpuUsage();
  private wallAtReset = performance.now();

  reset(): void {
    this.latency = new Histogram();
    this.inputsSent = 0;
    this.inputsSeen = 0;
    this.stateChanges = 0;
    this.errors = emptyTally();
    this.dropped = 0;
    this.since = nowMs();
    this.bytesAtReset = bytesRead();
    this.cpuAtReset = process.cpuUsage();
    this.wallAtReset = performance.now();
  }

  snapshot(open: number): RoomsStats {
    const cpu = process.cpuUsage(this.cpuAtReset);
    return {
      inputsSent: this.inputsSent,
      inputsSeen: this.inputsSeen,
      latency: this.latency.toJSON(),
      bytesReceived: bytesRead() - this.bytesAtReset,
      stateChanges: this.stateChanges,
      errors: this.errors,
      dropped: this.dropped,
      open,
      cpuMs: (cpu.user + cpu.system) / 1000,
      wallMs: performance.now() - this.wallAtReset,
    };
  }
}

const stats = new Stats();

/** One bot: its inputs' send times, and the score it last saw. */
class Bot {
  private sent = 0;
  private seen = 0;
  /** Send time of input n (1-based) until the bot sees it applied. */
  private readonly sentAt = new Map<number, number>();
  open = true;

  constructor(
    readonly index: number,
    private readonly transport: { send(input: Input): boolean; close(): void },
  ) {}

  sendInput(): void {
    if (!this.open) return;
    const input = botInput(this.index, this.sent);
    if (!this.transport.send(input)) {
      tally(stats.errors, 'NOT_SENT', `bot ${this.index}: the client dropped an input (not connected)`);
      return;
    }
    this.sent += 1;
    this.sentAt.set(this.sent, nowMs());
    stats.inputsSent += 1;
  }

  /** The bot's own score in the state it now holds. */
  sawScore(score: number): void {
    stats.stateChanges += 1;
    if (score <= this.seen) return;
    const now = nowMs();
    for (let n = this.seen + 1; n <= score; n++) {
      const at = this.sentAt.get(n);
      this.sentAt.delete(n);
      if (at !== undefined && at >= stats.since) stats.latency.record(now - at);
    }
    stats.inputsSeen += score - this.seen;
    this.seen = score;
  }

  ended(reason: string): void {
    if (!this.open) return;
    this.open = false;
    stats.dropped += 1;
    tally(stats.errors, 'ENDED', `bot ${this.index}: ${reason}`);
  }

  close(): void {
    this.open = false;
    this.transport.close();
  }
}

let bots: Bot[] = [];

type TavernRoom = GameRoom<BenchState, typeof benchContract>;

/** A Tavern bot: its own SDK client (socket.io-client, WebSocket only), seated by `room:create` or `room:join`. */
async function tavernBot(args: RoomsJoinArgs, index: number, userId: string, roomId: string | null): Promise<{ bot: Bot; roomId: string }> {
  const token = signToken(args.secret, { sub: userId, name: userId });
  const client = withRooms(
    createClient<typeof benchContract>({ url: args.url, getToken: () => token, timeoutMs: args.timeoutMs, socketOptions: { transports: ['websocket'] } }),
  );
  const joined = roomId === null ? await client.rooms.create<BenchState>(ROOM_TYPE) : await client.rooms.join<BenchState>(roomId);
  if (!joined.ok) {
    client.close();
    throw new Error(`${joined.error.code}: ${joined.error.message}`);
  }
  const room: TavernRoom = joined.data;
  const bot = new Bot(index, {
    send: (input) => room.signal(TAVERN_INPUT, input),
    close: () => client.close(),
  });
  room.onChange((state) => bot.sawScore(state.players[userId]?.score ?? 0));
  room.onLeft((reason) => bot.ended(`seat ended: ${reason}`));
  client.onStateChange((state) => {
    if (state !== 'connected') bot.ended(`connection ${state}`);
  });
  return { bot, roomId: room.id };
}

interface ColyseusView {
  players: { get(key: string): { score: number } | undefined };
}

/** A Colyseus bot: its own `colyseus.js` client, seated by `create` or `joinById` (HTTP matchmaking, then the room's WebSocket). */
async function colyseusBot(args: RoomsJoinArgs, index: number, roomId: string | null): Promise<{ bot: Bot; roomId: string }> {
  const client = new ColyseusClient(args.url.replace(/^http/, 'ws'));
  const room: ColyseusRoom<ColyseusView> = roomId === null ? await client.create(ROOM_TYPE) : await client.joinById(roomId);
  const bot = new Bot(index, {
    send: (input) => {
      room.send(COLYSEUS_INPUT, input);
      return true;
    },
    close: () => void room.leave(true),
  });
  room.onStateChange((state) => bot.sawScore(state.players.get(room.sessionId)?.score ?? 0));
  room.onLeave((code) => bot.ended(`left with code ${code}`));
  room.onError((code, message) => tally(stats.errors, `COLYSEUS_${code}`, message ?? ''));
  return { bot, roomId: room.roomId };
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Seats `rooms × playersPerRoom` bots: the first of each room creates it, the others join it
 * by id once it exists; rooms fill in parallel, `concurrency` joins at a time.
 */
async function join(args: RoomsJoinArgs): Promise<RoomsJoinResult> {
  const started = performance.now();
  const errors = emptyTally();
  let joined = 0;
  const seat = async (room: number, player: number, roomId: string | null): Promise<string | null> => {
    const index = room * args.playersPerRoom + player;
    // Nine characters, like a Colyseus session id: the key each player has in the state.
    const userId = `${args.tag}${String(index).padStart(9 - args.tag.length, '0')}`;
    try {
      const seated = await withTimeout(
        args.system === 'tavern' ? tavernBot(args, index, userId, roomId) : colyseusBot(args, index, roomId),
        args.timeoutMs,
        `bot ${index}`,
      );
      bots.push(seated.bot);
      joined += 1;
      return seated.roomId;
    } catch (error) {
      tally(errors, 'JOIN', error instanceof Error ? error.message : String(error));
      return null;
    }
  };
  const creators = await mapLimit(Array.from({ length: args.rooms }, (_, room) => room), args.concurrency, (room) => seat(room, 0, null));
  const joiners = creators.flatMap((roomId, room) => (roomId === null ? [] : Array.from({ length: args.playersPerRoom - 1 }, (_, n) => ({ room, player: n + 1, roomId }))));
  await mapLimit(joiners, args.concurrency, ({ room, player, roomId }) => seat(room, player, roomId));
  // Index order, so that `play` spreads phases the same way on every run.
  bots.sort((a, b) => a.index - b.index);
  return { joined, errors, elapsedMs: Math.round(performance.now() - started) };
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

/** Every bot sends `hz` inputs a second for `durationMs`, the bots' phases spread evenly over one period. */
function play(args: PlayArgs): Promise<PlayResult> {
  const periodMs = 1000 / args.hz;
  const startedAt = performance.now();
  let sent = 0;
  return new Promise((resolve) => {
    const timers = bots.map((bot, slot) =>
      setTimeout(
        () => {
          const fire = () => {
            bot.sendInput();
            sent += 1;
          };
          fire();
          timers[slot] = setInterval(fire, periodMs);
        },
        (slot / Math.max(1, bots.length)) * periodMs,
      ),
    );
    setTimeout(
      () => {
        for (const timer of timers) clearInterval(timer);
        resolve({ sent });
      },
      args.durationMs - (performance.now() - startedAt),
    );
  });
}

function closeAll(): null {
  for (const bot of bots) bot.close();
  bots = [];
  return null;
}

const handlers: CommandHandlers<RoomsWorkerCommands> = {
  join,
  play,
  reset: () => {
    stats.reset();
    return null;
  },
  stats: () => stats.snapshot(bots.filter((bot) => bot.open).length),
  closeAll,
};

serveCommands<RoomsWorkerCommands>(handlers);
