/**
 * A Tavern bot on the client SDK: enters a zone after every `session:ready`, joins the
 * zone's chat channel, walks between random points at a modest rate (taking the server's
 * `character:correction` as the truth) and answers chat addressed to it. Each step is one
 * interval's walk at `speedFactor * maxSpeed`, and the first comes one interval after
 * entering: the server allows what real time allows.
 */
import { randomUUID } from 'node:crypto';
import { createClient, rooms, type ClientOptions, type Point, type TavernClient, type Zone } from '@tavern/client-sdk';
import { randomPoint, replyTo, stepToward } from './behaviour.js';

export interface BotOptions {
  /** The server, e.g. `http://127.0.0.1:3001`. */
  url: string;
  /** Returns a JWT for the bot's user (see main.ts for the dev-mode `POST /dev/token`). */
  getToken: ClientOptions['getToken'];
  /** @default 'tavern-district' */
  zoneId?: string;
  /** Moves sent per second (the server allows 20). @default 5 */
  movesPerSecond?: number;
  /** Walking speed as a fraction of the zone's `maxSpeed`. @default 0.5 */
  speedFactor?: number;
  /** @default Math.random */
  random?: () => number;
  /** Where the bot reports what it does. @default no output */
  log?: (line: string) => void;
  /** Passed to the SDK's client (e.g. `socketOptions`, `reconnect`). */
  client?: Omit<ClientOptions, 'url' | 'getToken'>;
}

export interface Bot extends Disposable {
  readonly client: TavernClient;
  /** The zone the bot is in, or null before it entered one. */
  readonly zone: Zone | null;
  /** Where the bot is, as far as the server agrees (corrections replace it). */
  readonly position: Point | null;
  /** Resolves when the bot first stands in its zone and listens to its channel. */
  readonly ready: Promise<void>;
  /** Stops walking and closes the connection. */
  stop(): void;
}

export function startBot(options: BotOptions): Bot {
  const zoneId = options.zoneId ?? 'tavern-district';
  const channelId = rooms.zone(zoneId);
  const movesPerSecond = options.movesPerSecond ?? 5;
  const speedFactor = options.speedFactor ?? 0.5;
  const random = options.random ?? Math.random;
  const log = options.log ?? (() => {});

  const client = createClient({ ...options.client, url: options.url, getToken: options.getToken });
  let zone: Zone | null = null;
  let position: Point | null = null;
  let target: Point | null = null;
  let seq = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;

  let markReady: () => void = () => {};
  let failReady: (error: Error) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    failReady = reject;
  });
  // Whoever awaits `ready` sees a failure; nobody awaiting it is not an unhandled rejection.
  ready.catch(() => {});

  async function enterZone(): Promise<void> {
    // After a reconnect the server may have moved on: enter again and take its position.
    zone = null;
    position = null;
    const entered = await client.request('zone:enter', { zoneId });
    if (!entered.ok) throw new Error(`zone:enter ${zoneId}: ${entered.error.code} ${entered.error.message}`);
    const joined = await client.request('chat:join', { channelId, historyLimit: 0 });
    if (!joined.ok) throw new Error(`chat:join ${channelId}: ${joined.error.code} ${joined.error.message}`);
    zone = entered.data.zone;
    position = entered.data.you;
    target = null;
    // The walk clock starts now: the first step comes a full interval after entering, so it
    // is never longer than the time the server has seen pass since it placed the bot (a
    // clock started with the bot put it at a random moment, often right after the entry).
    startWalking();
    log(`in ${zone.name} at (${position.x}, ${position.y}) with ${entered.data.players.length} other players`);
    markReady();
  }

  function startWalking(): void {
    if (timer) clearInterval(timer);
    timer = stopped ? null : setInterval(walk, 1000 / movesPerSecond);
  }

  function walk(): void {
    if (!zone || !position || client.state !== 'connected') return;
    if (!target || (target.x === position.x && target.y === position.y)) target = randomPoint(zone, random);
    const next = stepToward(position, target, (zone.maxSpeed * speedFactor) / movesPerSecond, zone);
    seq += 1;
    if (client.signal('character:move', { x: next.x, y: next.y, seq })) position = next;
  }

  function answer(message: { channelId: string; senderId: string; senderName: string; content: string }): void {
    if (message.channelId !== channelId || message.senderId === client.session?.userId) return;
    const content = replyTo(message.content, { botName: client.session?.name ?? 'bot', senderName: message.senderName, position });
    if (content === null) return;
    client.request('chat:send', { channelId, content, clientMsgId: randomUUID() }).then(
      (result) => {
        if (!result.ok) log(`reply refused: ${result.error.code} ${result.error.message}`);
      },
      (error: unknown) => log(`reply failed: ${String(error)}`),
    );
  }

  client.on('session:ready', (session) => {
    log(`connected as ${session.userId} (${session.name})`);
    enterZone().catch((error: unknown) => {
      log(String(error));
      failReady(error instanceof Error ? error : new Error(String(error)));
    });
  });
  client.on('character:correction', (correction) => {
    // The server refused a move: stand where it says and pick a new goal from there.
    position = { x: correction.x, y: correction.y };
    target = null;
    log(`corrected to (${correction.x}, ${correction.y}) after move ${correction.seq}`);
  });
  client.on('chat:message', answer);
  client.onStateChange((state) => {
    if (state === 'closed') {
      if (client.closeReason) log(`closed by the server: ${client.closeReason.code} ${client.closeReason.message}`);
      failReady(new Error(`closed before entering ${zoneId}`));
    }
  });

  function stop(): void {
    if (stopped) return;
    stopped = true;
    if (timer) clearInterval(timer);
    timer = null;
    client.close();
  }

  return {
    client,
    get zone() {
      return zone;
    },
    get position() {
      return position;
    },
    ready,
    stop,
    [Symbol.dispose]: stop,
  };
}
