/** One contract for the in-memory and the Redis presence stores. */
import { describe, expect, it } from 'vitest';
import { useStoreConnections } from '../../../test/support/redis-connections.js';
import { DEFAULT_ENTRY, MemoryPresenceStore, RedisPresenceStore, type PresenceEntry, type PresenceStore } from './presence.store.js';

const connections = useStoreConnections('presence-contract:');
const onCluster = useStoreConnections('presence-contract:', 'cluster');

describe.each([
  ['memory', () => new MemoryPresenceStore()],
  ['redis', () => new RedisPresenceStore(connections())],
  ['redis cluster', () => new RedisPresenceStore(onCluster())],
] as [string, () => PresenceStore][])('PresenceStore contract: %s', (_name, create) => {
  it('defaults, updates fields, and announces each change once', async () => {
    const store = create();
    const user = `u${Math.random().toString(36).slice(2)}`;
    expect((await store.get([user])).get(user)).toEqual(DEFAULT_ENTRY);
    await store.update(user, { status: 'busy', activity: 'raiding', lastSeen: 42, autoAway: true });
    expect((await store.get([user])).get(user)).toEqual({ ...DEFAULT_ENTRY, status: 'busy', activity: 'raiding', lastSeen: 42, autoAway: true });
    await store.update(user, { activity: null, autoAway: false });
    expect((await store.get([user])).get(user)).toMatchObject({ activity: null, autoAway: false, status: 'busy' });
    expect(await store.announce(user, 'online')).toBe(true);
    expect(await store.announce(user, 'online')).toBe(false);
    expect(await store.announce(user, 'offline')).toBe(true);
  });

  it('restore writes back entries that are missing and leaves existing ones alone', async () => {
    const store = create();
    const [lost, kept] = [`u${Math.random().toString(36).slice(2)}`, `u${Math.random().toString(36).slice(2)}`];
    await store.update(kept, { status: 'away' });
    const remembered: PresenceEntry = { status: 'invisible', activity: 'fishing', lastSeen: 7, announced: 'offline', autoAway: false };
    await store.restore(new Map([[lost, remembered], [kept, { ...remembered, status: 'busy' }]]));
    const entries = await store.get([lost, kept]);
    expect(entries.get(lost)).toEqual(remembered);
    expect(entries.get(kept)).toMatchObject({ status: 'away', activity: null });
  });
});
