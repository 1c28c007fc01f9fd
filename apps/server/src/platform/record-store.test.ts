/** One contract for the record store, in memory and in Redis: expiry, touch, the id index. */
import { setTimeout } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { useStoreConnections } from '../../test/support/redis-connections.js';
import { createRecordStore } from './record-store.js';
import type { RedisConnections } from './redis.js';

const TTL_MS = 400;
let kinds = 0;

describe('record store', () => {
  const connections = useStoreConnections('records:');
  const onCluster = useStoreConnections('records:', 'cluster');
  const stores: [string, () => RedisConnections | null][] = [
    ['memory', () => null],
    ['redis', () => connections()],
    ['redis cluster', () => onCluster()],
  ];

  describe.each(stores)('%s', (name, redis) => {
    const fresh = () => `k${kinds++}`;

    it('a record nobody writes or touches again is gone after ttlMs; writes and touches keep it', async () => {
      const kind = fresh();
      const store = createRecordStore<{ n: number }>(redis(), kind, { ttlMs: TTL_MS });
      await store.update('idle', () => ({ n: 1 }));
      await store.update('kept', () => ({ n: 1 }));
      const startedAt = Date.now();
      // Kept alive past three TTLs by a write or a touch every quarter TTL (the pace of a user acting).
      for (let i = 0; Date.now() - startedAt < 3 * TTL_MS; i++) {
        if (i % 2) await store.update('kept', (current) => current && { n: current.n + 1 });
        else expect(await store.touch('kept')).not.toBeNull();
        await setTimeout(TTL_MS / 4);
      }
      expect(await store.get('idle')).toBeNull();
      expect(await store.touch('idle')).toBeNull();
      expect((await store.get('kept'))?.n).toBeGreaterThan(2);
      if (name === 'redis') expect(await connections().main.keys(`records:${kind}:*`)).toEqual([`records:${kind}:record:kept`]);
    });

    it('a change that returns the record unchanged writes nothing and does not push its expiry', async () => {
      const ttlMs = 1_000;
      const store = createRecordStore<{ n: number }>(redis(), fresh(), { ttlMs });
      await store.update('a', () => ({ n: 1 }));
      await setTimeout(0.6 * ttlMs);
      expect(await store.update('a', (current) => current)).toEqual({ n: 1 });
      // Gone 0.4 TTL later, by the first write's expiry (a rewrite would keep it a full TTL).
      await expect.poll(() => store.get('a'), { timeout: 0.8 * ttlMs, interval: 50 }).toBeNull();
    });

    it('ids() lists live records only, and the index goes with them', async () => {
      const kind = fresh();
      const store = createRecordStore<{ n: number }>(redis(), kind, { ttlMs: TTL_MS, indexed: true });
      await store.update('a', () => ({ n: 1 }));
      await store.update('b', () => ({ n: 2 }));
      expect((await store.ids()).sort()).toEqual(['a', 'b']);
      await store.update('b', () => null);
      expect(await store.ids()).toEqual(['a']);
      await expect.poll(() => store.ids(), { timeout: 5 * TTL_MS, interval: TTL_MS / 4 }).toEqual([]);
      if (name === 'redis') await expect.poll(() => connections().main.keys(`records:${kind}:*`), { timeout: 5 * TTL_MS, interval: TTL_MS / 4 }).toEqual([]);
    });
  });
});
