/**
 * No client can create unbounded server state: chat rooms have a per-user quota and expire
 * when unused (in memory and in Redis).
 */
import { describe, expect, it } from 'vitest';
import { useRedis } from './support/start-redis.js';
import { clusterConfig, request, startTestServer, type TestServer } from './support/start-test-server.js';

const chat = { maxRoomsPerUser: 3, roomTtlMs: 1_000 };

describe('chat:create is bounded', () => {
  const redis = useRedis();

  const stores: [string, () => Promise<TestServer>][] = [
    ['memory', () => startTestServer({ config: { features: { chat } } })],
    ['redis', () => startTestServer({ config: { ...clusterConfig(redis().url), features: { chat } } })],
  ];

  for (const [store, start] of stores) {
    it(`a user owns at most maxRoomsPerUser rooms, and an unused room expires (${store})`, async () => {
      await using server = await start();
      const owner = await server.connect('owner');
      const made: string[] = [];
      for (let i = 0; i < 3; i++) {
        const created = await request(owner, 'chat:create', { name: `den ${i}`, visibility: 'private' });
        if (!created.ok) throw new Error(`create failed: ${JSON.stringify(created)}`);
        made.push(created.data.channelId);
      }
      expect(await request(owner, 'chat:create', { name: 'one too many', visibility: 'private' })).toMatchObject({ ok: false, error: { code: 'LIMIT_EXCEEDED' } });
      // Another user has a quota of their own.
      const other = await server.connect('other');
      expect((await request(other, 'chat:create', { name: 'theirs', visibility: 'public' })).ok).toBe(true);

      // Unused (reading history is no use), the rooms expire: they are NOT_FOUND and the quota is free again.
      await expect
        .poll(async () => (await request(owner, 'chat:history', { channelId: made[0]!, limit: 1 })).ok, { timeout: 5_000, interval: 200 })
        .toBe(false);
      expect(await request(owner, 'chat:join', { channelId: made[0]! })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
      expect((await request(owner, 'chat:create', { name: 'after expiry', visibility: 'private' })).ok).toBe(true);
    });
  }
});
