/** One contract for the in-memory and the Redis revocation stores. */
import { describe, expect, it } from 'vitest';
import { useStoreConnections } from '../../test/support/redis-connections.js';
import { MemoryRevocationStore, RedisRevocationStore, type RevocationStore } from './revocation.store.js';

const connections = useStoreConnections('revocation-contract:');
const onCluster = useStoreConnections('revocation-contract:', 'cluster');

describe.each([
  ['memory', () => new MemoryRevocationStore()],
  ['redis', () => new RedisRevocationStore(connections())],
  ['redis cluster', () => new RedisRevocationStore(onCluster())],
] as [string, () => RevocationStore][])('RevocationStore contract: %s', (_name, create) => {
  it('restore writes back missing entries and never replaces a later revocation with an earlier one', async () => {
    const store = create();
    const tag = Math.random().toString(36).slice(2);
    const now = Date.now();
    const until = now + 60_000;
    await store.revoke({ userId: `later-${tag}`, revokedAt: now, until });
    await store.restore([
      { userId: `later-${tag}`, revokedAt: now - 1_000, until },
      { userId: `updated-${tag}`, revokedAt: now, until },
      { jti: `lost-${tag}`, revokedAt: now, until },
    ]);
    await store.restore([{ userId: `updated-${tag}`, revokedAt: now + 1_000, until }]);
    expect(await store.find(null, `later-${tag}`)).toEqual([{ userId: `later-${tag}`, revokedAt: now, until }]);
    expect(await store.find(null, `updated-${tag}`)).toEqual([{ userId: `updated-${tag}`, revokedAt: now + 1_000, until }]);
    expect(await store.find(`lost-${tag}`, 'nobody')).toEqual([{ jti: `lost-${tag}`, revokedAt: now, until }]);
  });
});
