import { request, startTestServer, type ClientSocket } from '@tavern/server/testing';
import { rooms, type Message, type ZoneSnapshot } from '@tavern/client-sdk';
import { describe, expect, it } from 'vitest';
import { startBot } from '../src/bot.js';

const ZONE = 'tavern-district';
const CHANNEL = rooms.zone(ZONE);

/** Resolves with the first `event` payload on `socket` that `accept` takes. */
function first<T>(socket: ClientSocket, event: 'zone:snapshot' | 'chat:message', accept: (data: T) => boolean): Promise<T> {
  const untyped = socket as unknown as { on(event: string, fn: (data: T) => void): void; off(event: string, fn: (data: T) => void): void };
  return new Promise((resolve) => {
    const listener = (data: T) => {
      if (!accept(data)) return;
      untyped.off(event, listener);
      resolve(data);
    };
    untyped.on(event, listener);
  });
}

describe('the example bot', () => {
  it('wanders in its zone where a player sees it, and answers !ping in the zone chat', async () => {
    await using server = await startTestServer();
    using bot = startBot({
      url: server.url,
      getToken: () => server.token('bot-1', { name: 'Botty' }),
      zoneId: ZONE,
      movesPerSecond: 10,
      client: { socketOptions: { transports: ['websocket'] } },
    });
    await bot.ready;

    const alice = await server.connect('alice', { name: 'Alice' });
    expect(await request(alice, 'zone:enter', { zoneId: ZONE })).toMatchObject({ ok: true });
    expect(await request(alice, 'chat:join', { channelId: CHANNEL, historyLimit: 0 })).toMatchObject({ ok: true });

    // Two snapshots with the bot at different places: it moves, inside the zone.
    const seen: { x: number; y: number }[] = [];
    await first<ZoneSnapshot>(alice, 'zone:snapshot', (snapshot) => {
      const entry = snapshot.players.find((player) => player.characterId === 'bot-1');
      if (entry) seen.push(entry);
      return seen.length >= 2;
    });
    expect(seen[0]).not.toEqual(seen[1]);
    for (const { x, y } of seen) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(1000);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(y).toBeLessThanOrEqual(1000);
    }

    const pong = first<Message>(alice, 'chat:message', (message) => message.senderId === 'bot-1');
    expect(await request(alice, 'chat:send', { channelId: CHANNEL, content: '!ping', clientMsgId: 'ping-1' })).toMatchObject({ ok: true });
    expect(await pong).toMatchObject({ channelId: CHANNEL, senderName: 'Botty', content: 'pong' });

    const hello = first<Message>(alice, 'chat:message', (message) => message.senderId === 'bot-1');
    await request(alice, 'chat:send', { channelId: CHANNEL, content: 'hey bot, who are you?', clientMsgId: 'hello-1' });
    expect((await hello).content).toMatch(/^Hi Alice! I am Botty/);
  });

  it('takes the position of a server correction', async () => {
    await using server = await startTestServer();
    using bot = startBot({ url: server.url, getToken: () => server.token('bot-2'), client: { socketOptions: { transports: ['websocket'] } } });
    await bot.ready;
    const corrected = new Promise<{ x: number; y: number }>((resolve) => {
      // Registered after the bot's own listener, so the bot has already moved.
      bot.client.on('character:correction', (correction) => resolve({ x: correction.x, y: correction.y }));
    });
    // A move the server refuses (outside the zone), as if the bot had lost track.
    bot.client.signal('character:move', { x: -50, y: -50, seq: 10_000 });
    const where = await corrected;
    expect(where.x).toBeGreaterThanOrEqual(0);
    expect(bot.position).toEqual(where);
  });

  it('takes its first step a full interval after entering, so the server accepts it (first move corrected back to the spawn)', async () => {
    await using server = await startTestServer();
    const corrections: number[] = [];
    using bot = startBot({
      url: server.url,
      // A slow identity provider: the bot enters its zone some 350 ms after it started. A walk
      // clock started with the bot then ticked a few ms after the entry, and its first step
      // (50 units: half of 200/s over 500 ms) was refused as too fast and corrected to the spawn.
      getToken: () => new Promise<string>((resolve) => setTimeout(() => resolve(server.token('bot-3')), 350)),
      movesPerSecond: 2,
      speedFactor: 0.5,
      client: { socketOptions: { transports: ['websocket'] } },
    });
    bot.client.on('character:correction', (correction) => corrections.push(correction.seq));
    await bot.ready;
    const spawn = bot.position!;

    const alice = await server.connect('alice');
    expect(await request(alice, 'zone:enter', { zoneId: ZONE })).toMatchObject({ ok: true });
    const snapshot = await first<ZoneSnapshot>(alice, 'zone:snapshot', (data) => data.players.some((player) => player.characterId === 'bot-3'));
    const moved = snapshot.players.find((player) => player.characterId === 'bot-3')!;
    expect(Math.hypot(moved.x - spawn.x, moved.y - spawn.y)).toBeGreaterThan(0);
    expect(corrections).toEqual([]);
  });
});
