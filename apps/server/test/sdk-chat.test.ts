import { ChannelSync, createClient, createTypingNotifier, type Message, type TavernClient } from '@tavern/client-sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { startNginx } from './support/start-nginx.js';
import { useRedis } from './support/start-redis.js';
import { startServerProcess } from './support/start-server-process.js';
import { clusterConfig, next, request, startTestServer, type TestServer } from './support/start-test-server.js';

const CHANNEL = 'global:main';
const unlimited = { limits: { rateLimits: { 'chat:send': { ratePerSec: 1_000, burst: 1_000 } } } };
const clients: TavernClient[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.close();
});

/** An SDK client for `userId` with immediate reconnects, and what its app was handed. */
function appClient(url: string, token: (userId: string) => Promise<string>, userId: string) {
  const client = createClient({ url, getToken: () => token(userId), reconnect: { initialDelayMs: 0, jitter: 0 }, socketOptions: { transports: ['websocket'] } });
  clients.push(client);
  const delivered: Message[] = [];
  const reloads: string[] = [];
  const sync = new ChannelSync(client, {
    onMessages: (_channelId, messages) => delivered.push(...messages),
    onReload: (channelId) => reloads.push(channelId),
  });
  return { client, sync, delivered, reloads };
}

const whenConnected = (client: TavernClient) => expect.poll(() => client.state, { timeout: 15_000 }).toBe('connected');

function expectExactlyOnceInOrder(delivered: readonly Message[], contents: readonly string[]): void {
  expect(delivered.map((message) => message.content)).toEqual(contents);
  const seqs = delivered.map((message) => message.seq);
  expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
}

/** Drops the client's TCP connection for real. */
function dropTransport(client: TavernClient): void {
  (client.socket.io.engine as unknown as { transport: { ws: { _socket: { destroy(): void } } } }).transport.ws._socket.destroy();
}

async function sendAll(server: TestServer, count: number, prefix: string): Promise<string[]> {
  const sender = await server.connect(`sender-${prefix}`);
  const contents = Array.from({ length: count }, (_, i) => `${prefix} ${i}`);
  for (const content of contents) {
    const result = await request(sender, 'chat:send', { channelId: CHANNEL, content, clientMsgId: `${prefix}-${content.replace(/\s/g, '-')}` });
    if (!result.ok) throw new Error(result.error.message);
  }
  sender.disconnect();
  return contents;
}

describe('SDK chat resume', () => {
  const redis = useRedis();

  it('hands the app all 100 messages sent while its transport was down, in order, none twice (same node and other node)', async () => {
    await using a = await startTestServer({ config: clusterConfig(redis().url, unlimited) });
    await using b = await startTestServer({ config: clusterConfig(redis().url, unlimited) });
    const app = appClient(a.url, (userId) => a.token(userId), 'reader');
    await whenConnected(app.client);
    expect((await app.sync.join(CHANNEL, 0)).ok).toBe(true);

    // Same node.
    const reconnected = new Promise<void>((resolve) => app.client.socket.once('disconnect', () => resolve()));
    dropTransport(app.client);
    await reconnected;
    const firstBatch = await sendAll(b, 100, 'first');
    await expect.poll(() => app.delivered.length, { timeout: 15_000 }).toBe(100);
    expectExactlyOnceInOrder(app.delivered, firstBatch);

    // The other node: the next connection goes to b.
    (app.client.socket.io as unknown as { uri: string }).uri = b.url;
    const moved = new Promise<void>((resolve) => app.client.socket.once('disconnect', () => resolve()));
    dropTransport(app.client);
    await moved;
    const secondBatch = await sendAll(a, 100, 'second');
    await expect.poll(() => app.delivered.length, { timeout: 15_000 }).toBe(200);
    expectExactlyOnceInOrder(app.delivered, [...firstBatch, ...secondBatch]);
    expect(app.reloads).toEqual([]);
  });

  it('signals a reload when Redis came back empty (new epoch)', async () => {
    await using a = await startTestServer({ config: clusterConfig(redis().url, unlimited) });
    const app = appClient(a.url, (userId) => a.token(userId), 'reloader');
    await whenConnected(app.client);
    await app.sync.join(CHANNEL, 0);
    const epoch = app.sync.cursor(CHANNEL)?.epoch;
    await redis().stop();
    await redis().start();
    await expect.poll(() => a.tavern.redis?.healthy, { timeout: 15_000 }).toBe(true);
    dropTransport(app.client);
    await expect.poll(() => app.reloads, { timeout: 15_000 }).toEqual([CHANNEL]);
    expect(app.sync.cursor(CHANNEL)?.epoch).not.toBe(epoch);
    // Messages after the reload arrive normally.
    await sendAll(a, 3, 'after-reload');
    await expect.poll(() => app.delivered.map((message) => message.content)).toEqual(['after-reload 0', 'after-reload 1', 'after-reload 2']);
  });

  it('hands the app every message when its node is SIGKILLed mid-stream (through nginx)', { timeout: 90_000 }, async () => {
    const env = { REDIS_URL: redis().url, TRUST_PROXY: 'loopback', RATE_LIMITS: JSON.stringify({ 'chat:send': { ratePerSec: 1000, burst: 1000 } }) };
    await using nodeA = await startServerProcess(env);
    await using nodeB = await startServerProcess(env);
    await using nginx = await startNginx([nodeA.port, nodeB.port]);
    const token = (userId: string) => nodeA.token(userId);
    // Readers until one lands on node A (affinity is by a random key per client).
    let app = appClient(nginx.url, token, 'victim-0');
    for (let i = 1; ; i++) {
      await whenConnected(app.client);
      const stats = await (await fetch(`${nodeA.url}/metrics`)).text();
      if (/^tavern_connections\{[^}]*\} [1-9]/m.test(stats)) break;
      app.client.close();
      app = appClient(nginx.url, token, `victim-${i}`);
    }
    await app.sync.join(CHANNEL, 0);
    const senderSocket = (await import('socket.io-client')).io(nodeB.url, { transports: ['websocket'], forceNew: true, auth: { token: await nodeB.token('streamer') } });
    await next(senderSocket as never, 'session:ready');
    const contents: string[] = [];
    for (let i = 0; i < 100; i++) {
      if (i === 30) nodeA.kill('SIGKILL');
      const content = `stream ${i}`;
      const result = await (senderSocket as unknown as { timeout(ms: number): { emitWithAck(event: string, payload: unknown): Promise<{ ok: boolean }> } })
        .timeout(5_000)
        .emitWithAck('chat:send', { channelId: CHANNEL, content, clientMsgId: `stream-${i}` });
      if (result.ok) contents.push(content);
    }
    senderSocket.close();
    await expect.poll(() => app.delivered.length, { timeout: 30_000 }).toBe(contents.length);
    expectExactlyOnceInOrder(app.delivered, contents);
    expect(contents).toHaveLength(100);
  });

  it('debounces typing: one start, refreshed while typing, one stop when idle', async () => {
    await using server = await startTestServer();
    const watcher = await server.connect('watcher');
    await request(watcher, 'chat:join', { channelId: CHANNEL });
    const app = appClient(server.url, (userId) => server.token(userId), 'typist');
    await whenConnected(app.client);
    await app.sync.join(CHANNEL, 0);
    const seen: boolean[] = [];
    watcher.on('chat:typing', (event) => seen.push(event.typing));
    const typing = createTypingNotifier(app.client, CHANNEL, { idleMs: 300 });
    for (let i = 0; i < 20; i++) typing.keystroke();
    await expect.poll(() => seen, { timeout: 3_000 }).toEqual([true, false]);
  });
});
