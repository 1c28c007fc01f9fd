/**
 * No client can create unbounded server state: chat rooms have a per-user quota and expire
 * when unused (in memory and in Redis); lobbies close when their members are gone.
 */
import { describe, expect, it } from 'vitest';
import { useRedisCluster } from './support/start-redis-cluster.js';
import { useRedis } from './support/start-redis.js';
import { clusterConfig, next, request, startTestServer, type TestServer } from './support/start-test-server.js';

const chat = { maxRoomsPerUser: 3, roomTtlMs: 1_000 };

describe('chat:create is bounded', () => {
  const redis = useRedis();
  const cluster = useRedisCluster();

  const stores: [string, () => Promise<TestServer>][] = [
    ['memory', () => startTestServer({ config: { features: { chat } } })],
    ['redis', () => startTestServer({ config: { ...clusterConfig(redis().url), features: { chat } } })],
    ['redis cluster', () => startTestServer({ config: { ...clusterConfig(cluster().url), features: { chat } } })],
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

describe('lobbies do not outlive their members', () => {
  it('a member whose last socket closes leaves after the grace period; the last one out closes the lobby', async () => {
    await using server = await startTestServer({ config: { features: { lobby: { graceMs: 200 } } } });
    const host = await server.connect('host');
    const guest = await server.connect('guest');
    const guestTab = await server.connect('guest');
    const created = await request(host, 'lobby:create', { maxPlayers: 4 });
    if (!created.ok) throw new Error('lobby:create failed');
    const lobbyId = created.data.lobby.id;
    expect((await request(guest, 'lobby:join', { lobbyId })).ok).toBe(true);

    // One of two tabs closing keeps the guest in.
    const left = next(host, 'lobby:member:left', 5_000);
    guestTab.disconnect();
    const stillIn = await request(host, 'lobby:subscribe', { lobbyId });
    expect(stillIn.ok && stillIn.data.lobby.members.map((member) => member.userId)).toEqual(['host', 'guest']);
    guest.disconnect();
    expect(await left).toEqual({ lobbyId, userId: 'guest' });

    const watcher = await server.connect('watcher');
    host.disconnect();
    expect(await request(watcher, 'lobby:subscribe', { lobbyId })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    // A non-member is FORBIDDEN while the lobby exists, NOT_FOUND once it is gone (and nothing is joined).
    const code = async () => {
      const answer = await request(watcher, 'lobby:subscribe', { lobbyId });
      return answer.ok ? 'ok' : answer.error.code;
    };
    await expect.poll(code, { timeout: 5_000, interval: 50 }).toBe('NOT_FOUND');
  });

  it('a member who comes back within the grace period keeps the seat', async () => {
    await using server = await startTestServer({ config: { features: { lobby: { graceMs: 60_000 } } } });
    const host = await server.connect('host');
    const guest = await server.connect('guest');
    const created = await request(host, 'lobby:create', { maxPlayers: 4 });
    if (!created.ok) throw new Error('lobby:create failed');
    const lobbyId = created.data.lobby.id;
    expect((await request(guest, 'lobby:join', { lobbyId })).ok).toBe(true);
    guest.disconnect();
    const back = await server.connect('guest');
    expect(await request(back, 'lobby:subscribe', { lobbyId })).toMatchObject({ ok: true, data: { lobby: { members: [{ userId: 'host' }, { userId: 'guest' }] } } });
  });
});

describe('poker sessions are bounded', () => {
  it('a session holds at most maxPlayers: the next join answers LIMIT_EXCEEDED and is not added', async () => {
    await using server = await startTestServer({ config: { features: { poker: { maxPlayers: 3 } } } });
    for (const userId of ['p1', 'p2', 'p3']) expect((await request(await server.connect(userId), 'poker:join', { sessionId: 'full' })).ok).toBe(true);
    const late = await server.connect('late');
    expect(await request(late, 'poker:join', { sessionId: 'full' })).toMatchObject({ ok: false, error: { code: 'LIMIT_EXCEEDED' } });
    const p1 = await server.connect('p1');
    const again = await request(p1, 'poker:join', { sessionId: 'full' });
    expect(again.ok && again.data.session.players.map((player) => player.id).sort()).toEqual(['p1', 'p2', 'p3']);
  });
});
