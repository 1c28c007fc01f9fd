import { createClient, type ClientOptions, type TavernClient } from '@tavern/client-sdk';
import { SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { sessionSlice } from '@tavern/protocol';
import { defineFeature } from '../src/features/feature.js';
import { sessionFeature } from '../src/features/index.js';
import type { TavernSocket } from '../src/transport/socket-types.js';
import { TEST_JWT_SECRET } from './support/start-server-process.js';
import { startTestServer, type TestServer } from './support/start-test-server.js';

/** A session feature whose `time:sync` records what arrives, in order. */
function recording(received: number[]) {
  return defineFeature({
    name: 'session',
    slice: sessionSlice,
    create: (context) => ({
      handlers: {
        ...sessionFeature.create(context).handlers,
        'time:sync': (_ctx, { clientTime }) => {
          received.push(clientTime);
          return { clientTime, serverTime: Date.now() };
        },
      },
    }),
  });
}

function serverSocketOf(server: TestServer, userId: string): TavernSocket {
  const socket = [...server.tavern.io.of('/').sockets.values()].find((candidate) => candidate.data.user.userId === userId);
  if (!socket) throw new Error(`${userId} has no socket`);
  return socket;
}

/** Destroys the TCP connection under a server socket, as a network failure would. */
function dropTransport(socket: TavernSocket): void {
  const conn = socket.conn as unknown as { transport: { socket: { _socket: { destroy(): void } } } };
  conn.transport.socket._socket.destroy();
}

function whenState(client: TavernClient, state: TavernClient['state']): Promise<void> {
  if (client.state === state) return Promise.resolve();
  return new Promise((resolve) => {
    const stop = client.onStateChange((next) => {
      if (next !== state) return;
      stop();
      resolve();
    });
  });
}

const sign = (userId: string, expiresAt: number) =>
  new SignJWT({ sub: userId }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime(Math.floor(expiresAt / 1000)).sign(new TextEncoder().encode(TEST_JWT_SECRET));

const clients: TavernClient[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.close();
});

/** A client for alice with immediate reconnects over WebSocket, closed after the test. */
function clientFor(url: string, options: Partial<ClientOptions> = {}): TavernClient {
  const client = createClient({
    url,
    getToken: () => sign('alice', Date.now() + 3_600_000),
    reconnect: { initialDelayMs: 0, jitter: 0 },
    socketOptions: { transports: ['websocket'] },
    ...options,
  });
  clients.push(client);
  return client;
}

describe('client SDK', () => {
  const jwt = { kind: 'secret' as const, secret: TEST_JWT_SECRET };

  it('sends every command queued while the transport was down once, in order, and resolves each', async () => {
    const received: number[] = [];
    await using server = await startTestServer({ config: { auth: { jwt } }, features: [recording(received)] });
    const client = clientFor(server.url);
    await whenState(client, 'connected');
    const before = await client.request('time:sync', { clientTime: 0 });
    expect(before.ok).toBe(true);

    const dropped = new Promise<void>((resolve) => client.socket.once('disconnect', () => resolve()));
    dropTransport(serverSocketOf(server, 'alice'));
    await dropped;
    expect(client.state).toBe('reconnecting');
    const pending = Array.from({ length: 20 }, (_, i) => client.request('time:sync', { clientTime: i + 1 }));
    expect(client.queueSize).toBe(20);

    const results = await Promise.all(pending);
    expect(results.map((result) => result.ok && result.data.clientTime)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(received).toEqual(Array.from({ length: 21 }, (_, i) => i));
    expect(client.state).toBe('connected');
  });

  it('abandons a handshake that hangs and connects on the next attempt', async () => {
    // The server would only time the hanging handshake out after a minute.
    await using server = await startTestServer({ config: { auth: { jwt }, limits: { connectTimeoutMs: 60_000 } } });
    // The first handshake is left hanging after authentication, as on a node going away.
    let attempts = 0;
    server.tavern.io.use((_socket, next) => {
      attempts += 1;
      if (attempts > 1) next();
    });
    const client = clientFor(server.url, { handshakeTimeoutMs: 300 });
    await whenState(client, 'connected');
    expect(attempts).toBe(2);
    expect(client.session?.userId).toBe('alice');
  });

  it('replaces a token that expired while offline through getToken', async () => {
    // No auth:expiring before the drop: this token must expire while the client is offline.
    await using server = await startTestServer({ config: { auth: { jwt, clockToleranceSec: 0, expiryWarningMs: 1_000 } } });
    const issued: number[] = [];
    const firstExpiry = Date.now() + 2_500;
    const client = clientFor(server.url, {
      getToken: async () => {
        issued.push(Date.now());
        return sign('alice', issued.length === 1 ? firstExpiry : Date.now() + 3_600_000);
      },
      // Stay offline until the first token is over.
      reconnect: { initialDelayMs: 3_000, jitter: 0 },
      tokenRefreshMarginMs: 0,
    });
    await whenState(client, 'connected');
    expect(issued).toHaveLength(1);
    const sessionId = client.session?.sessionId;
    dropTransport(serverSocketOf(server, 'alice'));
    await whenState(client, 'reconnecting');
    const queued = client.request('time:sync', { clientTime: 5 });
    await whenState(client, 'connected');
    expect(issued).toHaveLength(2);
    expect(issued[1]).toBeGreaterThanOrEqual(firstExpiry);
    expect(await queued).toMatchObject({ ok: true, data: { clientTime: 5 } });
    expect(client.session).toMatchObject({ sessionId, recovered: true });
  });

  it('asks getToken again when the server refuses a token, and connects with the next one', async () => {
    await using server = await startTestServer({ config: { auth: { jwt } } });
    const tokens = ['not-a-jwt', await sign('alice', Date.now() + 3_600_000)];
    const client = clientFor(server.url, { getToken: () => tokens.shift() ?? 'exhausted' });
    await whenState(client, 'connected');
    expect(tokens).toHaveLength(0);
  });

  it('refreshes on auth:expiring and keeps the same socket', async () => {
    await using server = await startTestServer({ config: { auth: { jwt, expiryWarningMs: 3_000, clockToleranceSec: 0 } } });
    let calls = 0;
    const client = clientFor(server.url, { getToken: () => sign('alice', Date.now() + (++calls === 1 ? 4_000 : 3_600_000)) });
    await whenState(client, 'connected');
    const socketId = client.socket.id;
    await expect.poll(() => serverSocketOf(server, 'alice').data.expiresAt, { timeout: 5_000 }).toBeGreaterThan(Date.now() + 60_000);
    expect(calls).toBe(2);
    expect(client.socket.id).toBe(socketId);
  });

  it('rejects a command without an idempotency key that was in flight when the connection dropped', async () => {
    const slow: ((value: void) => void)[] = [];
    const feature = defineFeature({
      name: 'session',
      slice: sessionSlice,
      create: (context) => ({
        handlers: {
          ...sessionFeature.create(context).handlers,
          'time:sync': async (_ctx, { clientTime }) => {
            await new Promise<void>((resolve) => slow.push(resolve));
            return { clientTime, serverTime: Date.now() };
          },
        },
      }),
    });
    await using server = await startTestServer({ config: { auth: { jwt } }, features: [feature] });
    const client = clientFor(server.url);
    await whenState(client, 'connected');
    const inFlight = client.request('time:sync', { clientTime: 1 });
    await expect.poll(() => slow.length).toBe(1);
    dropTransport(serverSocketOf(server, 'alice'));
    await expect(inFlight).rejects.toMatchObject({ name: 'ClientError', code: 'DISCONNECTED' });
    for (const release of slow) release();
  });
});
