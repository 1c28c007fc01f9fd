/**
 * `UNAVAILABLE` means "not written", for every store a command writes through a script, not
 * only chat's (see chat.store.test.ts): with Redis frozen the write times out, and when Redis
 * wakes and runs what was waiting in its input, the write's deadline has passed and it changes
 * nothing. Record stores (parties, lobbies, poker), channel membership, the socket registry.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RedisConnectionStore } from '../src/connections/connection.store.js';
import { RedisChannelMembership } from '../src/features/chat/chat.members.js';
import { createRecordStore } from '../src/platform/record-store.js';
import type { RedisConnections } from '../src/platform/redis.js';
import { connectStores } from './support/redis-connections.js';
import { startRedis, type TestRedis } from './support/start-redis.js';

let redis: TestRedis;
let connections: RedisConnections;

beforeAll(async () => {
  redis = await startRedis();
  connections = await connectStores(redis.url, 'late:');
});
afterAll(async () => {
  await connections.close();
  await redis[Symbol.asyncDispose]();
});

/**
 * Runs `writes` with Redis frozen (from the start, or from when a write freezes it); each must
 * fail `UNAVAILABLE`; resolves once Redis is healthy again.
 */
async function frozen(writes: () => Promise<unknown>[], freezeFirst = true): Promise<void> {
  if (freezeFirst) redis.freeze();
  let outcomes: PromiseSettledResult<unknown>[];
  try {
    outcomes = await Promise.allSettled(writes());
  } finally {
    redis.thaw();
  }
  for (const outcome of outcomes) expect(outcome).toMatchObject({ status: 'rejected', reason: { code: 'UNAVAILABLE' } });
  await vi.waitFor(() => expect(connections.healthy).toBe(true), { timeout: 10_000 });
}

describe('a write answered UNAVAILABLE is not made when Redis wakes', () => {
  it('record stores (party, lobby, poker)', async () => {
    const store = createRecordStore<{ n: number }>(connections, 'lobby', { ttlMs: 60_000 });
    await store.update('l1', () => ({ n: 1 }));
    // Frozen between the read and the compare-and-set: the write itself waits in Redis.
    const freezeThen = <T>(next: T) => {
      redis.freeze();
      return next;
    };
    await frozen(() => [store.update('l1', (current) => freezeThen(current && { n: current.n + 1 })), store.update('l2', () => freezeThen({ n: 1 }))], false);
    expect(await store.get('l1')).toEqual({ n: 1 });
    expect(await store.get('l2')).toBeNull();
  });

  it('channel membership', async () => {
    const members = new RedisChannelMembership(connections, 60_000);
    await members.join('room:warm', { userId: 'ann', name: 'Ann' }, 'n1', 0);
    await frozen(() => [members.join('room:r1', { userId: 'ben', name: 'Ben' }, 'n1', 0), members.leave('room:warm', 'ann', 'n1')]);
    expect(await members.count('room:r1')).toBe(0);
    expect(await members.count('room:warm')).toBe(1);
  });

  it('the socket registry: a refused handshake leaves no ghost socket', async () => {
    const store = new RedisConnectionStore(connections);
    await store.heartbeat('n1', 60_000);
    await store.add({ userId: 'warm', socketId: 's0', nodeId: 'n1' }, 5);
    await frozen(() => [store.add({ userId: 'cid', socketId: 's1', nodeId: 'n1' }, 5)]);
    expect(await store.userSockets('cid')).toEqual([]);
  });
});
