/**
 * An `UNAVAILABLE` answer means "not stored". With Redis frozen (SIGSTOP) past the command
 * timeout, a `chat:send` is answered `UNAVAILABLE` while its append waits in Redis's input; it
 * must be a no-op when Redis wakes, so that the sender's retry with the same clientMsgId is
 * stored and delivered once, instead of returning an original nobody else ever received.
 */
import { GLOBAL_ROOM, type Message } from '@tavern/protocol';
import { describe, expect, it } from 'vitest';
import { startRedis } from './support/start-redis.js';
import { clusterConfig, next, request, startTestServer } from './support/start-test-server.js';

describe('chat:send answered UNAVAILABLE while Redis is frozen', () => {
  it('is not stored when Redis wakes, and its retry is stored and delivered exactly once', async () => {
    await using redis = await startRedis();
    await using server = await startTestServer({ config: clusterConfig(redis.url) });
    const alice = await server.connect('alice');
    const bob = await server.connect('bob');
    for (const socket of [alice, bob]) expect((await request(socket, 'chat:join', { channelId: GLOBAL_ROOM })).ok).toBe(true);
    const received: Message[] = [];
    bob.on('chat:message', (message) => received.push(message));
    // Loads the append script, so that the frozen send is the append itself, not its SCRIPT LOAD.
    expect((await request(alice, 'chat:send', { channelId: GLOBAL_ROOM, content: 'before', clientMsgId: 'before' })).ok).toBe(true);

    const send = { channelId: GLOBAL_ROOM, content: 'through the freeze', clientMsgId: 'frozen-1' };
    redis.freeze();
    let frozen;
    try {
      frozen = await request(alice, 'chat:send', send);
    } finally {
      redis.thaw();
    }
    expect(frozen).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
    await expect.poll(async () => (await fetch(`${server.url}/readyz`)).status, { timeout: 10_000 }).toBe(200);

    const historyOf = async (clientMsgId: string) => {
      const history = await request(alice, 'chat:history', { channelId: GLOBAL_ROOM, limit: 100 });
      if (!history.ok) throw new Error(`chat:history failed: ${JSON.stringify(history)}`);
      return history.data.messages.filter((message) => message.clientMsgId === clientMsgId);
    };
    expect(await historyOf('frozen-1')).toEqual([]);

    const delivered = next(bob, 'chat:message');
    const retry = await request(alice, 'chat:send', send);
    expect(retry).toMatchObject({ ok: true, data: { message: { clientMsgId: 'frozen-1', content: 'through the freeze' } } });
    expect(await delivered).toMatchObject({ clientMsgId: 'frozen-1' });
    // A second retry returns the same message and broadcasts nothing.
    expect(await request(alice, 'chat:send', send)).toEqual(retry);
    // Bob's messages arrive in order: once 'after' is here, any second broadcast would be too.
    const after = next(bob, 'chat:message');
    expect((await request(alice, 'chat:send', { channelId: GLOBAL_ROOM, content: 'after', clientMsgId: 'after' })).ok).toBe(true);
    expect(await after).toMatchObject({ clientMsgId: 'after' });

    expect(received.filter((message) => message.clientMsgId === 'frozen-1')).toHaveLength(1);
    expect(await historyOf('frozen-1')).toHaveLength(1);
  });
});
