/**
 * The in-memory chat history (#22): kept as bytes off the V8 heap, where mark-compact GCs do
 * not walk it, and read back exactly as stored through every path that reads it.
 */
import type { Message } from '@tavern/protocol';
import { setFlagsFromString, getHeapSpaceStatistics } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { request, startTestServer } from './support/start-test-server.js';

let sent = 0;
const clientMsgId = () => `h${Date.now().toString(36)}${sent++}`;
const unlimited = { limits: { rateLimits: { 'chat:send': { ratePerSec: 100_000, burst: 100_000 } } }, features: { chat: { channelRatePerSec: 100_000 } } };

/** A full collection, then the bytes the JavaScript heap holds outside code (what a GC walks). */
function heapAfterGc(): number {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  return getHeapSpaceStatistics()
    .filter((space) => !space.space_name.includes('code'))
    .reduce((sum, space) => sum + space.space_used_size, 0);
}

describe('in-memory chat history', () => {
  it('keeps 1,000 messages of 1,900 characters off the V8 heap (mark-compact stalls grew with the history, #22)', async () => {
    await using server = await startTestServer({ config: unlimited });
    const alice = await server.connect('alice', { guilds: ['keep'] });
    const channelId = 'guild:keep';
    expect((await request(alice, 'chat:join', { channelId, historyLimit: 0 })).ok).toBe(true);
    const send = async (n: number) => {
      const result = await request(alice, 'chat:send', { channelId, content: `${String(n).padStart(6, '0')} ${'x'.repeat(1_893)}`, clientMsgId: clientMsgId() });
      if (!result.ok) throw new Error(result.error.message);
    };
    // Warm every path first (compiled code, socket buffers, maps), so the two readings differ by the history.
    for (let n = 0; n < 50; n++) await send(n);
    const before = heapAfterGc();
    const externalBefore = process.memoryUsage().arrayBuffers;
    for (let n = 50; n < 1_050; n++) await send(n);
    const grown = heapAfterGc() - before;
    const external = process.memoryUsage().arrayBuffers - externalBefore;
    // As JavaScript strings and objects the history held ≥ 1.9 MB of heap; as bytes it is in ArrayBuffers.
    expect(grown).toBeLessThan(1_000_000);
    expect(external).toBeGreaterThan(1_900_000);
    const history = await request(alice, 'chat:history', { channelId, limit: 100 });
    expect(history.ok && history.data.messages.map((message) => message.content.slice(0, 6))).toEqual(Array.from({ length: 100 }, (_, i) => String(950 + i).padStart(6, '0')));
  });

  it('reads back every message as stored after the history wrapped, with edits, reactions and deletions', async () => {
    await using server = await startTestServer({ config: { ...unlimited, features: { chat: { ...unlimited.features.chat, retention: 5 } } } });
    const alice = await server.connect('alice', { guilds: ['wrap'] });
    const channelId = 'guild:wrap';
    const joined = await request(alice, 'chat:join', { channelId, historyLimit: 0 });
    if (!joined.ok) throw new Error(joined.error.message);
    const { epoch } = joined.data.channel;
    const contents = Array.from({ length: 12 }, (_, i) => `${i} ${['héllo', '👨‍👩‍👧 family', 'مرحبا', 'plain'][i % 4]}`);
    const stored: Message[] = [];
    for (const content of contents) {
      const result = await request(alice, 'chat:send', { channelId, content, clientMsgId: clientMsgId() });
      if (!result.ok) throw new Error(result.error.message);
      stored.push(result.data.message);
    }
    const bySeq = (seq: number) => stored[seq - 1] as Message;
    const longer = `edited ${'é'.repeat(300)}`;
    // Longer and shorter than what they replace, so entries move within the channel's bytes.
    const edited = await request(alice, 'chat:edit', { channelId, messageId: bySeq(8).id, content: longer });
    expect(edited.ok && edited.data.message).toMatchObject({ id: bySeq(8).id, seq: 8, content: longer });
    expect((await request(alice, 'chat:edit', { channelId, messageId: bySeq(10).id, content: 'short' })).ok).toBe(true);
    expect((await request(alice, 'chat:react', { channelId, messageId: bySeq(9).id, emoji: '👍', on: true })).ok).toBe(true);
    expect((await request(alice, 'chat:delete', { channelId, messageId: bySeq(11).id })).ok).toBe(true);
    // Evicted by the retention of 5: a message that left the history is not found.
    expect(await request(alice, 'chat:edit', { channelId, messageId: bySeq(7).id, content: 'gone' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });

    const history = await request(alice, 'chat:history', { channelId, limit: 100 });
    if (!history.ok) throw new Error(history.error.message);
    expect(history.data.messages).toEqual([
      { ...bySeq(8), content: longer, editedAt: expect.any(Number) },
      { ...bySeq(9), reactions: { '👍': ['alice'] } },
      { ...bySeq(10), content: 'short', editedAt: expect.any(Number) },
      { ...bySeq(11), content: '', deleted: true, editedAt: expect.any(Number), reactions: {} },
      bySeq(12),
    ]);
    const [, , h10, h11, h12] = history.data.messages;
    const synced = await request(alice, 'chat:sync', { cursors: [{ channelId, epoch, lastSeq: 9 }] });
    expect(synced.ok && synced.data.channels[0]).toEqual({ channelId, epoch, complete: true, messages: [h10, h11, h12] });
    const rejoined = await request(alice, 'chat:join', { channelId, historyLimit: 2 });
    expect(rejoined.ok && rejoined.data.history).toEqual([h11, h12]);
  });
});
