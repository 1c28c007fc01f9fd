import { ChannelSync, createClient } from '@tavern/client-sdk';
import type { Message } from '@tavern/protocol';
import { describe, expect, it } from 'vitest';
import { REDIS_BACKENDS, useRedisBackend } from './support/redis-connections.js';
import { useRedis } from './support/start-redis.js';
import { clusterConfig, next, request, startTestServer, type ClientSocket } from './support/start-test-server.js';

let sent = 0;
const clientMsgId = () => `m${Date.now().toString(36)}${sent++}`;

function collect(socket: ClientSocket): Message[] {
  const messages: Message[] = [];
  socket.on('chat:message', (message) => messages.push(message));
  return messages;
}

describe('chat on one node', () => {
  it('delivers to the channel, is idempotent on clientMsgId, refuses repeated content', async () => {
    await using server = await startTestServer();
    const alice = await server.connect('alice', { name: 'Alice' });
    const bob = await server.connect('bob');
    for (const socket of [alice, bob]) expect((await request(socket, 'chat:join', { channelId: 'global:main' })).ok).toBe(true);
    const atBob = collect(bob);
    const id = clientMsgId();
    const first = await request(alice, 'chat:send', { channelId: 'global:main', content: '  hello  ', clientMsgId: id });
    expect(first).toMatchObject({ ok: true, data: { message: { content: 'hello', senderName: 'Alice', seq: 1 } } });
    const retry = await request(alice, 'chat:send', { channelId: 'global:main', content: '  hello  ', clientMsgId: id });
    expect(retry).toEqual(first);
    const again = await request(alice, 'chat:send', { channelId: 'global:main', content: 'hello', clientMsgId: clientMsgId() });
    expect(again).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    await request(alice, 'chat:send', { channelId: 'global:main', content: 'second', clientMsgId: clientMsgId() });
    await expect.poll(() => atBob.map((message) => message.content)).toEqual(['hello', 'second']);
  });

  it('stores hostile content inert and returns it byte-identical; refuses what cannot be stored', async () => {
    await using server = await startTestServer();
    const mallory = await server.connect('mallory');
    await request(mallory, 'chat:join', { channelId: 'global:main' });
    const hostile = ['<script>alert(1)</script>', '<img src=x onerror=alert(1)>', 'مرحبا abc', '👨‍👩‍👧 family', 'a'.repeat(2000)];
    const stored: string[] = [];
    for (const content of hostile) {
      const result = await request(mallory, 'chat:send', { channelId: 'global:main', content, clientMsgId: clientMsgId() });
      if (!result.ok) throw new Error(result.error.message);
      stored.push(result.data.message.content);
    }
    expect(stored).toEqual(hostile);
    // Invisible and bidi-override characters are removed, not stored.
    const cleaned = await request(mallory, 'chat:send', { channelId: 'global:main', content: 'a\u200Bb\u202Ec\u2066d\uFEFF\u0007', clientMsgId: clientMsgId() });
    expect(cleaned.ok && cleaned.data.message.content).toBe('abcd');
    for (const content of ['\uD800 lone', 'x'.repeat(2001), '\u200B\u200B', ' \n ']) {
      const refused = await request(mallory, 'chat:send', { channelId: 'global:main', content, clientMsgId: clientMsgId() });
      expect(refused, JSON.stringify(content.slice(0, 10))).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    }
    const history = await request(mallory, 'chat:history', { channelId: 'global:main', limit: 100 });
    expect(history.ok && history.data.messages.map((message) => message.content)).toEqual([...hostile, 'abcd']);
  });

  it('limits messages per channel, whoever sends them: RATE_LIMITED with retryAfterMs, nothing stored', async () => {
    // 1 message/s per channel: a burst of 2, then the channel is refused; another channel is not.
    await using server = await startTestServer({ config: { features: { chat: { channelRatePerSec: 1 } } } });
    const alice = await server.connect('alice', { guilds: ['knights'] });
    const bob = await server.connect('bob');
    for (const socket of [alice, bob]) expect((await request(socket, 'chat:join', { channelId: 'global:main' })).ok).toBe(true);
    expect((await request(alice, 'chat:join', { channelId: 'guild:knights' })).ok).toBe(true);
    expect((await request(alice, 'chat:send', { channelId: 'global:main', content: 'one', clientMsgId: clientMsgId() })).ok).toBe(true);
    expect((await request(bob, 'chat:send', { channelId: 'global:main', content: 'two', clientMsgId: clientMsgId() })).ok).toBe(true);
    const refused = await request(bob, 'chat:send', { channelId: 'global:main', content: 'three', clientMsgId: clientMsgId() });
    expect(refused).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
    expect(!refused.ok && refused.error.retryAfterMs).toBeGreaterThan(0);
    expect((await request(alice, 'chat:send', { channelId: 'guild:knights', content: 'elsewhere', clientMsgId: clientMsgId() })).ok).toBe(true);
    const history = await request(bob, 'chat:history', { channelId: 'global:main', limit: 10 });
    expect(history.ok && history.data.messages.map((message) => message.content)).toEqual(['one', 'two']);
  });

  it('masks profanity', async () => {
    await using server = await startTestServer({ config: { features: { chat: { profanity: ['darn'] } } } });
    const alice = await server.connect('alice');
    await request(alice, 'chat:join', { channelId: 'global:main' });
    const result = await request(alice, 'chat:send', { channelId: 'global:main', content: 'Darn it, darnation', clientMsgId: clientMsgId() });
    expect(result.ok && result.data.message.content).toBe('**** it, darnation');
  });

  it('lets the author or a moderator edit and delete; reactions and receipts reach the channel', async () => {
    await using server = await startTestServer();
    const alice = await server.connect('alice');
    const bob = await server.connect('bob');
    const mod = await server.connect('mod', { roles: ['moderator'] });
    for (const socket of [alice, bob, mod]) await request(socket, 'chat:join', { channelId: 'global:main' });
    const sent = await request(alice, 'chat:send', { channelId: 'global:main', content: 'teh', clientMsgId: clientMsgId() });
    if (!sent.ok) throw new Error('send failed');
    const messageId = sent.data.message.id;
    expect(await request(bob, 'chat:edit', { channelId: 'global:main', messageId, content: 'hacked' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const edited = next(bob, 'chat:edited');
    expect(await request(alice, 'chat:edit', { channelId: 'global:main', messageId, content: 'the' })).toMatchObject({ ok: true, data: { message: { content: 'the' } } });
    expect(await edited).toMatchObject({ messageId, content: 'the' });
    const reaction = next(alice, 'chat:reaction');
    await request(bob, 'chat:react', { channelId: 'global:main', messageId, emoji: '👍', on: true });
    expect(await reaction).toMatchObject({ messageId, userId: 'bob', emoji: '👍', on: true });
    const receipt = next(alice, 'chat:read');
    await request(bob, 'chat:read', { channelId: 'global:main', seq: 99 });
    expect(await receipt).toEqual({ channelId: 'global:main', userId: 'bob', seq: 1 });
    const deleted = next(alice, 'chat:deleted');
    expect((await request(mod, 'chat:delete', { channelId: 'global:main', messageId })).ok).toBe(true);
    expect(await deleted).toEqual({ channelId: 'global:main', messageId });
    const history = await request(bob, 'chat:history', { channelId: 'global:main', limit: 10 });
    expect(history.ok && history.data.messages[0]).toMatchObject({ deleted: true, content: '' });
    expect(await request(bob, 'chat:react', { channelId: 'global:main', messageId: 'nope-1', emoji: '👍', on: true })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });

  it('pages history and keeps private rooms private', async () => {
    await using server = await startTestServer();
    const owner = await server.connect('owner');
    const guest = await server.connect('guest');
    const created = await request(owner, 'chat:create', { name: 'Guild hall', visibility: 'private' });
    if (!created.ok) throw new Error('create failed');
    const { channelId } = created.data;
    expect(await request(guest, 'chat:join', { channelId })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await request(guest, 'chat:invite', { channelId, userId: 'guest' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const invited = next(guest, 'notification:new');
    expect((await request(owner, 'chat:invite', { channelId, userId: 'guest' })).ok).toBe(true);
    expect(await invited).toMatchObject({ type: 'chat.invite' });
    await request(owner, 'chat:join', { channelId });
    for (let i = 1; i <= 7; i++) await request(owner, 'chat:send', { channelId, content: `line ${i}`, clientMsgId: clientMsgId() });
    const joined = await request(guest, 'chat:join', { channelId, historyLimit: 3 });
    expect(joined.ok && joined.data).toMatchObject({ channel: { kind: 'room', name: 'Guild hall', lastSeq: 7 }, lastReadSeq: 0 });
    expect(joined.ok && joined.data.history.map((message) => message.seq)).toEqual([5, 6, 7]);
    const page = await request(guest, 'chat:history', { channelId, beforeSeq: 5, limit: 3 });
    expect(page.ok && page.data).toMatchObject({ hasMore: true });
    expect(page.ok && page.data.messages.map((message) => message.seq)).toEqual([2, 3, 4]);
    const last = await request(guest, 'chat:history', { channelId, beforeSeq: 2, limit: 3 });
    expect(last.ok && last.data).toMatchObject({ hasMore: false, messages: [{ seq: 1 }] });
    expect(await request(guest, 'chat:join', { channelId: 'room:nope' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });

  it('typing stops after 5 s without a refresh, and at once when the typist disconnects', async () => {
    await using server = await startTestServer();
    const alice = await server.connect('alice');
    const bob = await server.connect('bob');
    for (const socket of [alice, bob]) await request(socket, 'chat:join', { channelId: 'global:main' });
    const started = next(bob, 'chat:typing');
    alice.emit('chat:typing', { channelId: 'global:main', typing: true });
    expect(await started).toMatchObject({ userId: 'alice', typing: true });
    const startedAt = Date.now();
    const stopped = await next(bob, 'chat:typing', 8_000);
    expect(stopped).toMatchObject({ userId: 'alice', typing: false });
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(4_500);

    const again = next(bob, 'chat:typing');
    alice.emit('chat:typing', { channelId: 'global:main', typing: true });
    await again;
    const gone = next(bob, 'chat:typing', 2_000);
    alice.disconnect();
    expect(await gone).toMatchObject({ userId: 'alice', typing: false });
  });

  it('refuses typing in a channel the socket has not joined', async () => {
    await using server = await startTestServer();
    const alice = await server.connect('alice');
    const refused = next(alice, 'error');
    alice.emit('chat:typing', { channelId: 'global:main', typing: true });
    expect(await refused).toMatchObject({ code: 'FORBIDDEN', event: 'chat:typing' });
  });

  it('whispers: delivered to both, refused when blocked; an offline peer gets it stored, counted and in history', async () => {
    await using server = await startTestServer();
    const alice = await server.connect('alice', { name: 'Alice' });
    const bob = await server.connect('bob');
    const atBob = next(bob, 'chat:message');
    const whisper = await request(alice, 'chat:whisper', { toUserId: 'bob', content: 'psst', clientMsgId: clientMsgId() });
    expect(whisper).toMatchObject({ ok: true, data: { message: { channelId: 'dm:alice:bob', content: 'psst' } } });
    expect(await atBob).toMatchObject({ content: 'psst', senderId: 'alice' });
    await request(bob, 'chat:block', { userId: 'alice' });
    expect(await request(alice, 'chat:whisper', { toUserId: 'bob', content: 'hey?', clientMsgId: clientMsgId() })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await request(alice, 'chat:join', { channelId: 'dm:alice:bob' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    await request(bob, 'chat:unblock', { userId: 'alice' });

    const offline = await request(alice, 'chat:whisper', { toUserId: 'carol', content: 'see you later', clientMsgId: clientMsgId() });
    expect(offline.ok).toBe(true);
    // The count comes with the connection, before session:ready: listen before connecting.
    const carol = server.socket({ auth: { token: await server.token('carol') } });
    const counted = next(carol, 'notification:count');
    const ready = next(carol, 'session:ready');
    carol.connect();
    expect(await counted).toEqual({ unread: 1 });
    await ready;
    const list = await request(carol, 'notification:list', { limit: 10 });
    expect(list.ok && list.data.notifications).toMatchObject([{ type: 'whisper', read: false, data: { fromUserId: 'alice' } }]);
    const history = await request(carol, 'chat:history', { channelId: 'dm:alice:carol', limit: 10 });
    expect(history.ok && history.data.messages.map((message) => message.content)).toEqual(['see you later']);
    const read = await request(carol, 'notification:read', { all: true });
    expect(read).toEqual({ ok: true, data: { unread: 0 } });
  });
});


// The cross-node tests are about ordering and sync, not about each sender's rate limit.
const unlimited = { limits: { rateLimits: { 'chat:send': { ratePerSec: 1_000, burst: 1_000 } } } };

describe.each(REDIS_BACKENDS)('chat across two nodes over Redis (%s)', (backend) => {
  const redis = useRedisBackend(backend);

  it('delivers 200 messages from several senders to 4 SDK clients on 2 nodes in one order, seq 1..200', async () => {
    await using a = await startTestServer({ config: clusterConfig(redis().url, unlimited) });
    await using b = await startTestServer({ config: clusterConfig(redis().url, unlimited) });
    const created = await request(await a.connect('host'), 'chat:create', { name: 'Raid', visibility: 'public' });
    if (!created.ok) throw new Error('create failed');
    const { channelId } = created.data;
    // Raw arrival order can differ between nodes (a node delivers its own messages locally at
    // once, the other node's through Redis); the SDK hands the app messages in seq order.
    const apps = [a, a, b, b].map((server, i) => {
      const client = createClient({ url: server.url, getToken: () => server.token(`p${i}`), socketOptions: { transports: ['websocket'] } });
      const delivered: Message[] = [];
      const sync = new ChannelSync(client, { onMessages: (_channel, batch) => delivered.push(...batch) });
      return { client, sync, delivered };
    });
    try {
      for (const app of apps) {
        await expect.poll(() => app.client.state).toBe('connected');
        expect((await app.sync.join(channelId, 0)).ok).toBe(true);
      }
      // The adapter subscribes to the channel on each node shortly after the first join there.
      await request(await a.connect('probe'), 'chat:send', { channelId, content: 'probe', clientMsgId: clientMsgId() });
      await expect.poll(() => apps.every((app) => app.delivered.length === 1)).toBe(true);
      await Promise.all(
        Array.from({ length: 199 }, (_, i) =>
          apps[i % 4]!.client.request('chat:send', { channelId, content: `message ${i}`, clientMsgId: clientMsgId() }),
        ),
      );
      await expect.poll(() => apps.map((app) => app.delivered.length), { timeout: 10_000 }).toEqual([200, 200, 200, 200]);
      for (const app of apps) expect(app.delivered.map((message) => message.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
      const [first] = apps;
      for (const app of apps) expect(app.delivered.map((message) => message.id)).toEqual(first!.delivered.map((message) => message.id));
    } finally {
      for (const app of apps) app.client.close();
    }
  });

});

describe('chat across two nodes over a Redis that restarts', () => {
  const redis = useRedis();

  it('chat:sync returns what a client missed; after Redis restarted empty it says complete: false with a new epoch', async () => {
    await using a = await startTestServer({ config: clusterConfig(redis().url, unlimited) });
    await using b = await startTestServer({ config: clusterConfig(redis().url, unlimited) });
    const reader = await a.connect('reader');
    const joined = await request(reader, 'chat:join', { channelId: 'global:main' });
    if (!joined.ok) throw new Error('join failed');
    const { epoch, lastSeq } = joined.data.channel;
    const writer = await b.connect('writer');
    await request(writer, 'chat:join', { channelId: 'global:main' });
    for (let i = 0; i < 30; i++) await request(writer, 'chat:send', { channelId: 'global:main', content: `while away ${i}`, clientMsgId: clientMsgId() });
    const synced = await request(reader, 'chat:sync', { cursors: [{ channelId: 'global:main', epoch, lastSeq }] });
    expect(synced.ok && synced.data.channels[0]).toMatchObject({ epoch, complete: true });
    expect(synced.ok && synced.data.channels[0]?.messages.map((message) => message.seq)).toEqual(Array.from({ length: 30 }, (_, i) => lastSeq + i + 1));

    await redis().stop();
    await redis().start();
    await expect
      .poll(async () => {
        const result = await request(reader, 'chat:sync', { cursors: [{ channelId: 'global:main', epoch, lastSeq: lastSeq + 30 }] });
        return result.ok ? result.data.channels[0] : null;
      }, { timeout: 15_000 })
      .toMatchObject({ complete: false, messages: [] });
    const after = await request(reader, 'chat:sync', { cursors: [{ channelId: 'global:main', epoch, lastSeq: lastSeq + 30 }] });
    expect(after.ok && after.data.channels[0]?.epoch).not.toBe(epoch);
  });
});
