import { clientEventNames, clientEventSchemas, type ClientEventName } from '@tavern/protocol';
import { describe, expect, it } from 'vitest';
import { next, request, startTestServer, type ClientSocket, type TestServer } from './support/start-test-server.js';

/** Stands for an array nested 5,000 deep: built as text, since JSON.stringify itself overflows on it. */
const DEEP = Symbol('deep');
const DEEP_JSON = '['.repeat(5_000) + ']'.repeat(5_000);

/** Every top-level field of the event's payload set to a value of the wrong type. */
function wrongTypes(event: ClientEventName): unknown {
  const schema = clientEventSchemas[event].payload as unknown as { shape?: Record<string, unknown> };
  const keys = Object.keys(schema.shape ?? { field: null });
  return Object.fromEntries(keys.map((key) => [key, { wrong: [true] }]));
}

const MALFORMED: [string, (event: ClientEventName) => unknown][] = [
  ['null', () => null],
  ['a number', () => 42],
  ['a string', () => 'payload'],
  ['an empty object', () => ({})],
  ['wrong field types', wrongTypes],
  ['an array nested 5,000 deep', () => DEEP],
];

let nextAckId = 1_000_000;

/**
 * Sends one event as a raw Socket.IO packet (the client's encoder would itself overflow its
 * stack on a 5,000-deep array; Engine.IO adds the leading "4" of a message) and resolves with
 * the code the server answered with.
 */
function answer(socket: ClientSocket, event: ClientEventName, payload: unknown): Promise<string> {
  const raw = socket as unknown as {
    acks: Record<number, (result: { ok: boolean; error?: { code: string } }) => void>;
    io: { engine: { write(data: string): void } };
  };
  const body = payload === DEEP ? `[${JSON.stringify(event)},${DEEP_JSON}]` : JSON.stringify([event, payload]);
  if (clientEventSchemas[event].kind === 'command') {
    const id = nextAckId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ack for ${event}`)), 5_000);
      raw.acks[id] = (result) => {
        clearTimeout(timer);
        resolve(result.ok ? 'OK' : (result.error?.code ?? 'NO_CODE'));
      };
      raw.io.engine.write(`2${id}${body}`);
    });
  }
  const refused = next(socket, 'error').then((error) => {
    expect(error.event).toBe(event);
    return error.code;
  });
  raw.io.engine.write(`2${body}`);
  return refused;
}

describe('every client event refuses malformed payloads', () => {
  it('answers INVALID_PAYLOAD, and keeps serving others', async () => {
    await using server = await startTestServer({
      // No rate limit in the way: every refusal here must be about the payload.
      config: { limits: { rateLimits: Object.fromEntries([...clientEventNames, 'default'].map((name) => [name, { ratePerSec: 1_000, burst: 1_000 }])) } },
    });
    const attacker = await server.connect('mallory');
    const bystander = await server.connect('alice');
    expect([...server.tavern.events].sort()).toEqual([...clientEventNames].sort());

    for (const event of clientEventNames) {
      for (const [label, make] of MALFORMED) {
        const payload = make(event);
        if (clientEventSchemas[event].payload.safeParse(payload).success) continue;
        const code = await answer(attacker, event, payload);
        expect(code, `${event} with ${label}`).toBe('INVALID_PAYLOAD');
      }
    }
    expect(attacker.connected).toBe(true);
    expect((await request(bystander, 'time:sync', { clientTime: 7 })).ok).toBe(true);
  });

  it('closes the connection of a client that sends a 100 KB string, and no one else’s', async () => {
    await using server = await startTestServer();
    const bystander = await server.connect('alice');
    for (const event of ['chat:send', 'character:move', 'time:sync'] as const) {
      const attacker = await server.connect('mallory');
      const closed = new Promise<string>((resolve) => attacker.once('disconnect', resolve));
      (attacker as unknown as { emit(event: string, payload: unknown): void }).emit(event, { content: 'x'.repeat(100 * 1024) });
      expect(await closed).toMatch(/transport (close|error)/);
    }
    expect((await request(bystander, 'time:sync', { clientTime: 1 })).ok).toBe(true);
  });

  it('serves every client event of the protocol', async () => {
    await using server = await startTestServer();
    expect(clientEventNames.filter((event) => !server.tavern.events.includes(event))).toEqual([]);
  });

  it('refuses an unknown event with INVALID_PAYLOAD', async () => {
    await using server = await startTestServer();
    const alice = await server.connect('alice');
    const raw = alice as unknown as { timeout(ms: number): { emitWithAck(event: string, payload: unknown): Promise<unknown> } };
    expect(await raw.timeout(5_000).emitWithAck('chat:explode', {})).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
  });
});

describe('rate limits and caps', () => {
  const limited = { limits: { rateLimits: { 'time:sync': { ratePerSec: 5, burst: 5 } }, floodDisconnectFactor: 10 } };

  it('answers a burst past the bucket with RATE_LIMITED and retryAfterMs; others are unaffected', async () => {
    await using server = await startTestServer({ config: limited });
    const greedy = await server.connect('mallory');
    const polite = await server.connect('alice');
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => request(greedy, 'time:sync', { clientTime: i })));
    const refused = results.filter((result) => !result.ok);
    expect(results.filter((result) => result.ok).length).toBeGreaterThanOrEqual(5);
    expect(refused.length).toBeGreaterThan(0);
    for (const result of refused) {
      expect(result).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED', retryAfterMs: expect.any(Number) } });
      if (!result.ok) expect(result.error.retryAfterMs).toBeGreaterThan(0);
    }
    expect((await request(polite, 'time:sync', { clientTime: 1 })).ok).toBe(true);
  });

  it('disconnects a socket that floods at 10x its limit, with session:ended RATE_LIMITED', async () => {
    await using server = await startTestServer({ config: limited });
    const flooder = await server.connect('mallory');
    const polite = await server.connect('alice');
    const ended = next(flooder, 'session:ended');
    const raw = flooder as unknown as { emit(event: string, payload: unknown, ack: () => void): void };
    for (let i = 0; i < 500; i++) raw.emit('time:sync', { clientTime: i }, () => undefined);
    expect(await ended).toMatchObject({ reason: 'RATE_LIMITED' });
    await expect.poll(() => flooder.connected).toBe(false);
    expect((await request(polite, 'time:sync', { clientTime: 1 })).ok).toBe(true);
  });

  it('caps sockets per user across the node with LIMIT_EXCEEDED', async () => {
    await using server = await startTestServer({ config: { limits: { maxSocketsPerUser: 2 } } });
    await server.connect('alice');
    const second = await server.connect('alice');
    const token = await server.token('alice');
    expect(await server.refuse({ token })).toMatchObject({ code: 'LIMIT_EXCEEDED' });
    second.disconnect();
    await expect.poll(async () => (await server.tavern.realtime.getUserSockets('alice')).length).toBe(1);
    await server.connect('alice');
  });

  it('caps the rooms one socket may be in with LIMIT_EXCEEDED (its own user room counts)', async () => {
    await using server = await startTestServer({ config: { limits: { maxRoomsPerSocket: 3 } } });
    const alice = await server.connect('alice');
    const channels: string[] = [];
    for (const name of ['one', 'two']) {
      const created = await request(alice, 'chat:create', { name, visibility: 'public' });
      if (!created.ok) throw new Error('create failed');
      channels.push(created.data.channelId);
    }
    expect((await request(alice, 'chat:join', { channelId: 'global:main' })).ok).toBe(true);
    expect((await request(alice, 'chat:join', { channelId: channels[0]! })).ok).toBe(true);
    expect(await request(alice, 'chat:join', { channelId: channels[1]! })).toMatchObject({ ok: false, error: { code: 'LIMIT_EXCEEDED' } });
    // Leaving makes room again.
    await request(alice, 'chat:leave', { channelId: channels[0]! });
    expect((await request(alice, 'chat:join', { channelId: channels[1]! })).ok).toBe(true);
  });

  it('caps handshakes per IP with RATE_LIMITED and retryAfterMs', async () => {
    await using server = await startTestServer({ config: { limits: { handshakesPerIp: 3, handshakeWindowMs: 60_000 } } });
    const sockets: ClientSocket[] = [];
    for (let i = 0; i < 3; i++) sockets.push(await server.connect(`user${i}`));
    const refusal = await server.refuse({ token: await server.token('user9') });
    expect(refusal).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: expect.any(Number) });
    expect(refusal.retryAfterMs).toBeGreaterThan(0);
  });
});

export type { TestServer };
