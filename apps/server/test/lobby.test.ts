import { describe, expect, it } from 'vitest';
import { REDIS_BACKENDS, useRedisBackend } from './support/redis-connections.js';
import { clusterConfig, next, request, startTestServer } from './support/start-test-server.js';

const unlimited = { limits: { rateLimits: { 'lobby:ready': { ratePerSec: 1_000, burst: 1_000 } } } };

describe.each(REDIS_BACKENDS)('lobbies across two nodes (%s)', (backend) => {
  const redis = useRedisBackend(backend);

  it('runs the whole flow with members on two nodes', async () => {
    await using a = await startTestServer({ config: clusterConfig(redis().url, unlimited) });
    await using b = await startTestServer({ config: clusterConfig(redis().url, unlimited) });
    const host = await a.connect('host');
    const second = await b.connect('second');
    const third = await a.connect('third');
    const created = await request(host, 'lobby:create', { name: 'Ranked', mode: 'duel', maxPlayers: 3 });
    if (!created.ok) throw new Error(created.error.message);
    const lobbyId = created.data.lobby.id;

    const hostSees = next(host, 'lobby:member:joined');
    expect((await request(second, 'lobby:join', { lobbyId })).ok).toBe(true);
    expect(await hostSees).toMatchObject({ lobbyId, member: { userId: 'second', ready: false } });
    await request(third, 'lobby:join', { lobbyId });
    expect(await request(await b.connect('fourth'), 'lobby:join', { lobbyId })).toMatchObject({ ok: false, error: { code: 'LIMIT_EXCEEDED' } });
    expect(await request(await b.connect('outsider'), 'lobby:subscribe', { lobbyId })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });

    expect(await request(second, 'lobby:kick', { lobbyId, userId: 'third' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await request(second, 'lobby:settings', { lobbyId, settings: { map: 'dust' } })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await request(host, 'lobby:settings', { lobbyId, settings: { map: 'dust', rounds: 3 } })).toMatchObject({ ok: true, data: { lobby: { settings: { map: 'dust', rounds: 3 } } } });

    await request(host, 'lobby:ready', { lobbyId, ready: true });
    await request(second, 'lobby:ready', { lobbyId, ready: true });
    expect(await request(host, 'lobby:start', { lobbyId })).toMatchObject({ ok: false, error: { code: 'PRECONDITION_FAILED' } });
    const kicked = next(third, 'lobby:member:kicked');
    expect((await request(host, 'lobby:kick', { lobbyId, userId: 'third' })).ok).toBe(true);
    expect(await kicked).toEqual({ lobbyId, userId: 'third' });

    // The host leaves: the longest-present member hosts.
    const hostChanged = next(second, 'lobby:host:changed');
    await request(host, 'lobby:leave', { lobbyId });
    expect(await hostChanged).toEqual({ lobbyId, hostId: 'second' });
    const rejoined = await request(host, 'lobby:join', { lobbyId });
    expect(rejoined.ok && rejoined.data.lobby).toMatchObject({ hostId: 'second', status: 'forming' });
    await request(host, 'lobby:ready', { lobbyId, ready: true });
    const started = next(host, 'lobby:started');
    expect((await request(second, 'lobby:start', { lobbyId })).ok).toBe(true);
    expect(await started).toEqual({ lobbyId });
    const state = await request(host, 'lobby:subscribe', { lobbyId });
    expect(state.ok && state.data.lobby.status).toBe('active');
    expect(await request(third, 'lobby:join', { lobbyId })).toMatchObject({ ok: false, error: { code: 'PRECONDITION_FAILED' } });

    const closed = next(host, 'lobby:closed');
    await request(second, 'lobby:leave', { lobbyId });
    await request(host, 'lobby:leave', { lobbyId });
    expect(await closed).toEqual({ lobbyId, reason: 'empty' });
  });

  it('ends 20 concurrent ready toggles from both nodes in each member’s last toggle', async () => {
    await using a = await startTestServer({ config: clusterConfig(redis().url, unlimited) });
    await using b = await startTestServer({ config: clusterConfig(redis().url, unlimited) });
    const members = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? b : a).connect(`m${i}`)));
    const created = await request(members[0]!, 'lobby:create', { maxPlayers: 8 });
    if (!created.ok) throw new Error('create');
    const lobbyId = created.data.lobby.id;
    for (const member of members.slice(1)) await request(member, 'lobby:join', { lobbyId });
    const last = new Map<string, boolean>();
    await Promise.all(
      members.map(async (member, i) => {
        for (let toggle = 0; toggle < 20; toggle++) {
          const ready = (toggle + i) % 3 !== 0;
          last.set(`m${i}`, ready);
          const result = await request(member, 'lobby:ready', { lobbyId, ready });
          if (!result.ok) throw new Error(result.error.message);
        }
      }),
    );
    const state = await request(members[0]!, 'lobby:subscribe', { lobbyId });
    const lobby = state.ok ? (state.data.lobby) : null;
    expect(Object.fromEntries(lobby!.members.map((member) => [member.userId, member.ready]))).toEqual(Object.fromEntries(last));
  });
});
