/**
 * The platform API from a studio's side: a feature of its own beside the built-in ones,
 * composition mistakes found at start-up, presets that serve only their events, settings from
 * code and from the environment. Everything here goes through `../src/index.js`, the API a
 * studio imports from `@tavern/server`.
 */
import { createClient } from '@tavern/client-sdk';
import { asyncApiDocument, builtInSlices, command, defineContract, defineSlice, event, Id, rooms } from '@tavern/protocol';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  AppError,
  builtInFeatures,
  chatFeature,
  contractOf,
  createLogger,
  createRealtimeServer,
  defineFeature,
  EnvError,
  loadEnvironment,
  presets,
  resolveConfig,
  resolveFeatures,
  serverEnvNames,
  sessionFeature,
  type AnyFeature,
} from '../src/index.js';
import { startServerProcess } from './support/start-server-process.js';
import { request, startTestServer, type ClientSocket } from './support/start-test-server.js';
import { createServer } from 'node:http';

const DiceRoll = z.object({ tableId: Id, sides: z.number().int().min(2).max(100) });
const DiceRolled = z.object({ tableId: Id, userId: Id, sides: z.number().int(), value: z.number().int() });
const diceSlice = defineSlice({
  id: 'dice',
  title: 'Dice',
  description: 'Dice the server rolls, seen by everyone at the table.',
  commands: {
    'dice:sit': command(z.object({ tableId: Id }), z.object({}), { description: 'Sits at a table.' }),
    'dice:roll': command(DiceRoll, DiceRolled, { description: 'Rolls a die at your table.', rateLimit: { ratePerSec: 1, burst: 3 } }),
  },
  serverEvents: { 'dice:rolled': event(DiceRolled, 'Someone at your table rolled.') },
});

const diceFeature = defineFeature({
  name: 'dice',
  slice: diceSlice,
  settings: { schema: z.object({ loaded: z.number().int().min(0).default(0) }) },
  create: ({ emitTo, rooms: roomService, settings }) => {
    roomService.setPolicy('table', () => true);
    return {
      handlers: {
        'dice:sit': async ({ socket }, { tableId }) => {
          await roomService.join(socket, `table:${tableId}`);
          return {};
        },
        'dice:roll': ({ socket, user }, { tableId, sides }) => {
          if (!socket.rooms.has(`table:${tableId}`)) throw new AppError('FORBIDDEN', 'sit at the table first');
          const rolled = { tableId, userId: user.userId, sides, value: settings.loaded || 1 + Math.floor(Math.random() * sides) };
          emitTo(`table:${tableId}`, 'dice:rolled', rolled, { except: socket.id });
          return rolled;
        },
      },
    };
  },
});

/** Sends any event with an ack, typed or not (the test client is typed by the built-in contract). */
function ask(socket: ClientSocket, event: string, payload: unknown): Promise<{ ok: boolean; data?: unknown; error?: { code: string; message: string } }> {
  return (socket.timeout(5_000) as unknown as { emitWithAck(event: string, payload: unknown): Promise<never> }).emitWithAck(event, payload);
}

function nextOf(socket: ClientSocket, event: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within 5 s`)), 5_000);
    (socket as unknown as { once(event: string, listener: (data: unknown) => void): void }).once(event, (data) => {
      clearTimeout(timer);
      resolve(data);
    });
  });
}

describe('a studio feature beside the built-in ones', () => {
  it('is served with its own validation, rate limit and events, and documented by its contract', async () => {
    await using server = await startTestServer({ features: [...builtInFeatures, diceFeature.with({ loaded: 6 })] });
    const [ada, bo] = await Promise.all([server.connect('ada'), server.connect('bo')]);
    for (const player of [ada, bo]) expect(await ask(player, 'dice:sit', { tableId: 't1' })).toEqual({ ok: true, data: {} });

    const seen = nextOf(bo, 'dice:rolled');
    const rolled = await ask(ada, 'dice:roll', { tableId: 't1', sides: 20 });
    expect(rolled).toEqual({ ok: true, data: { tableId: 't1', userId: 'ada', sides: 20, value: 6 } });
    expect(await seen).toEqual(rolled.data);

    expect(await ask(ada, 'dice:roll', { tableId: 't1', sides: 1 })).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    expect(await ask(bo, 'dice:roll', { tableId: 'elsewhere', sides: 6 })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    // The slice's own bucket (burst 3): ada used two, so of three more one passes.
    const flood = await Promise.all([1, 2, 3].map(() => ask(ada, 'dice:roll', { tableId: 't1', sides: 6 })));
    expect(flood.map((result) => result.error?.code ?? 'OK')).toEqual(['OK', 'RATE_LIMITED', 'RATE_LIMITED']);
    // The built-in events are served as before.
    expect((await request(ada, 'time:sync', { clientTime: 1 })).ok).toBe(true);

    expect(server.tavern.events).toContain('dice:roll');
    const served = (await (await fetch(`${server.url}/asyncapi.json`)).json()) as Record<string, unknown>;
    expect(served).toEqual(JSON.parse(JSON.stringify(asyncApiDocument(server.tavern.contract))));
    const channels = served['channels'] as Record<string, { address: string }>;
    expect(channels['dice.roll']?.address).toBe('dice:roll');
    expect(channels['dice.rolled']?.address).toBe('dice:rolled');
  });

  it('refuses an event no running feature serves like any unknown event, and charges it to the sender', async () => {
    await using server = await startTestServer({ config: { limits: { rateLimits: { default: { ratePerSec: 1, burst: 2 } } } } });
    const eve = await server.connect('eve');
    const answers = await Promise.all([1, 2, 3].map(() => ask(eve, 'dice:roll', { tableId: 't1', sides: 6 })));
    expect(answers.map((answer) => answer.error?.code)).toEqual(['INVALID_PAYLOAD', 'INVALID_PAYLOAD', 'RATE_LIMITED']);
    expect(answers[0]?.error?.message).toBe('unknown event dice:roll');
  });
});

describe('a client typed by the contract', () => {
  it('rolls with the SDK, and with validate refuses a bad payload without sending it', async () => {
    const contract = defineContract(...builtInSlices, diceSlice);
    await using server = await startTestServer({ features: [...builtInFeatures, diceFeature.with({ loaded: 4 })] });
    const client = createClient({ url: server.url, getToken: () => server.token('ada'), contract, validate: true, socketOptions: { transports: ['websocket'] } });
    try {
      expect(await client.request('dice:sit', { tableId: 't1' })).toEqual({ ok: true, data: {} });
      const rolled = await client.request('dice:roll', { tableId: 't1', sides: 8 });
      expect(rolled).toEqual({ ok: true, data: { tableId: 't1', userId: 'ada', sides: 8, value: 4 } });
      expect(await client.request('dice:roll', { tableId: 't1', sides: 1 })).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
      const counted = await server.tavern.metrics.registry.getSingleMetricAsString('tavern_events_total');
      expect(counted).toMatch(/event="dice:roll",outcome="ok"[^\n]* 1$/m);
      expect(counted).not.toMatch(/event="dice:roll",outcome="INVALID_PAYLOAD"/);
    } finally {
      client.close();
    }
  });
});

describe('composition', () => {
  const session = sessionFeature;
  const noHandler = defineFeature({ name: 'dice', slice: diceSlice, create: () => ({ handlers: {} as never }) });
  const extraHandler = defineFeature({
    name: 'dice',
    slice: diceSlice,
    create: (context) => ({ handlers: { ...diceFeature.create({ ...context, settings: { loaded: 0 } }).handlers, 'dice:cheat': () => ({}) } as never }),
  });
  const emitsUnserved = defineFeature({ name: 'herald', emits: [diceSlice], create: () => ({}) });
  const twin = defineFeature({ name: 'twin', slice: defineSlice({ id: 'twin', title: 'Twin', description: 'x', serverEvents: { 'dice:rolled': event(DiceRolled, 'again') } }), create: () => ({}) });

  async function start(features: readonly AnyFeature[]) {
    const config = resolveConfig({ nodeEnv: 'test', logLevel: 'silent' });
    const server = createServer();
    try {
      return await createRealtimeServer(server, { config, logger: createLogger({ level: 'silent', nodeId: config.nodeId }), features });
    } finally {
      server.close();
    }
  }

  it('finds every mistake at start-up, naming it', async () => {
    expect(() => contractOf([chatFeature])).toThrow(/the session feature is required/);
    expect(() => contractOf([session, session])).toThrow(/feature session is given twice/);
    expect(() => contractOf([session, diceFeature, emitsUnserved])).not.toThrow();
    expect(() => contractOf([session, emitsUnserved])).toThrow(/herald sends dice events, but no running feature serves the dice slice/);
    expect(() => contractOf([session, diceFeature, twin])).toThrow(/server event dice:rolled is declared by two slices/);
    await expect(start([session, noHandler])).rejects.toThrow(/declares dice:sit but has no handler for it/);
    await expect(start([session, extraHandler])).rejects.toThrow(/has a handler for dice:cheat, which its slice does not declare/);
    await expect(start([session, diceFeature.with({ loaded: -1 })])).rejects.toThrow(/dice\.loaded/);
  });
});

describe('presets', () => {
  it('serve only their features: a chat client asking for poker gets the unknown-event error', async () => {
    await using chat = await startTestServer({ features: presets.chat });
    const alice = await chat.connect('alice');
    expect((await request(alice, 'chat:join', { channelId: 'global:main' })).ok).toBe(true);
    expect(await request(alice, 'poker:join', { sessionId: 'sprint-1' })).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD', message: 'unknown event poker:join' } });
    expect(chat.tavern.events).not.toContain('zone:enter');

    await using poker = await startTestServer({ features: presets.poker });
    const bob = await poker.connect('bob');
    expect(await request(bob, 'poker:join', { sessionId: 'sprint-1' })).toMatchObject({ ok: true, data: { session: { id: 'sprint-1' } } });
    expect(await request(bob, 'chat:join', { channelId: 'global:main' })).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
  });

  it('are picked by FEATURES, by preset name or by feature names', () => {
    expect(resolveFeatures('chat').map((feature) => feature.name)).toEqual(['session', 'notifications', 'presence', 'chat', 'admin']);
    expect(resolveFeatures('poker,session').map((feature) => feature.name)).toEqual(['session', 'poker']);
    expect(resolveFeatures('mmorpg')).toBe(builtInFeatures);
    expect(() => resolveFeatures('session,dice')).toThrow(/unknown dice: use a preset \(chat, lobby, poker, mmorpg\)/);
    expect(() => loadEnvironment({ FEATURES: 'nope' })).toThrow(EnvError);
  });

  it('start as a real process with one variable and refuse the others', async () => {
    const { io } = await import('socket.io-client');
    const cases = [
      { preset: 'chat', served: ['chat:join', { channelId: rooms.global() }], refused: ['zone:enter', { zoneId: 'tavern-district' }] },
      { preset: 'poker', served: ['poker:join', { sessionId: 'sprint-1' }], refused: ['chat:join', { channelId: rooms.global() }] },
    ] as const;
    for (const { preset, served, refused } of cases) {
      await using server = await startServerProcess({ FEATURES: preset });
      const socket = io(server.url, { transports: ['websocket'], auth: { token: await server.token('carol') }, reconnection: false }) as unknown as ClientSocket;
      try {
        await nextOf(socket, 'session:ready');
        expect(await ask(socket, refused[0], refused[1]), preset).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD', message: `unknown event ${refused[0]}` } });
        expect(await ask(socket, served[0], served[1]), preset).toMatchObject({ ok: true });
      } finally {
        socket.disconnect();
      }
    }
  });
});

describe('settings', () => {
  it('come from the feature value, typed (feature.with), over the environment', async () => {
    await using server = await startTestServer({ features: [...builtInFeatures.filter((feature) => feature.name !== 'chat'), chatFeature.with({ profanity: ['darn'] })] });
    const alice = await server.connect('alice');
    await request(alice, 'chat:join', { channelId: 'global:main' });
    const sent = await request(alice, 'chat:send', { channelId: 'global:main', content: 'darn it', clientMsgId: 'm1' });
    expect(sent).toMatchObject({ ok: true, data: { message: { content: '**** it' } } });
  });

  it('are read from the environment and validated in one place, a bad value naming its variable', () => {
    const { config } = loadEnvironment({ FEATURES: 'chat', CHAT_RETENTION: '25', CHAT_PROFANITY: 'darn, heck' });
    expect(config.features['chat']).toEqual({ retention: 25, profanity: ['darn', 'heck'] });
    const problems = (env: Record<string, string>) => {
      try {
        loadEnvironment(env);
      } catch (error) {
        if (error instanceof EnvError) return error.problems;
        throw error;
      }
      return [];
    };
    expect(problems({ CHAT_RETENTION: '0' })).toEqual([expect.stringMatching(/^CHAT_RETENTION: /)]);
    expect(problems({ PRESENCE_GRACE_MS: 'soon' })).toEqual([expect.stringMatching(/^PRESENCE_GRACE_MS: /)]);
    expect(problems({ MATCHMAKING_MODES: '{"duel":{"teamSize":0,"teams":2}}' })).toEqual([expect.stringMatching(/^MATCHMAKING_MODES: /)]);
    expect(problems({ CHAT_PROFANITY_FILE: '/nope/words.txt' })).toEqual([expect.stringMatching(/^CHAT_PROFANITY_FILE: cannot read \/nope\/words.txt \(ENOENT\)/)]);
    // A preset without chat does not read chat's variables.
    expect(problems({ FEATURES: 'poker', CHAT_RETENTION: '0' })).toEqual([]);
  });

  it('are every one documented in .env.example', () => {
    const example = readFileSync(new URL('../.env.example', import.meta.url), 'utf8');
    const documented = new Set([...example.matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((match) => match[1]));
    const variables = [...serverEnvNames, ...builtInFeatures.flatMap((feature) => Object.keys(feature.settings?.env ?? {}))];
    expect(variables.length).toBeGreaterThan(40);
    expect(variables.filter((name) => !documented.has(name))).toEqual([]);
  });
});
