import { describe, expect, it } from 'vitest';
import { io } from 'socket.io-client';
import { REDIS_BACKENDS, useRedisBackend } from './support/redis-connections.js';
import { startServerProcess } from './support/start-server-process.js';
import { next, request, startTestServer, type ClientSocket } from './support/start-test-server.js';

const fastMatching = { tickMs: 50, statusIntervalMs: 100, widenEveryMs: 200, expireAfterMs: 1_000 };
const fast = { features: { matchmaking: fastMatching } };

describe('matchmaking on one node', () => {
  it('matches 8 players in a 2x2 mode into 2 lobbies, no player twice', async () => {
    await using server = await startTestServer({ config: fast });
    const players = await Promise.all(Array.from({ length: 8 }, (_, i) => server.connect(`p${i}`, { mmr: 1000 + i * 10 })));
    const matched = players.map((player) => next(player, 'matchmaking:matched', 5_000));
    for (const player of players) expect((await request(player, 'matchmaking:join', { mode: '2v2' })).ok).toBe(true);
    const results = await Promise.all(matched);
    const lobbies = new Map<string, string[]>();
    for (const result of results) lobbies.set(result.lobbyId, result.players.map((player) => player.userId).sort());
    expect(lobbies.size).toBe(2);
    const everyone = [...lobbies.values()].flat();
    expect(everyone.sort()).toEqual(players.map((_, i) => `p${i}`).sort());
    for (const members of lobbies.values()) expect(members).toHaveLength(4);
    // The lobby is real: its members can use it.
    const state = await request(players[0]!, 'lobby:subscribe', { lobbyId: results[0]!.lobbyId });
    expect(state.ok && state.data.lobby.members).toHaveLength(4);
  });

  it('a lone player sees searching, then relaxing statuses, then expired; duplicates and unknown modes are refused', async () => {
    await using server = await startTestServer({ config: fast });
    const lone = await server.connect('lone', { mmr: 1500 });
    const statuses: string[] = [];
    lone.on('matchmaking:status', (status) => statuses.push(status.status));
    const expired = next(lone, 'matchmaking:expired', 5_000);
    expect(await request(lone, 'matchmaking:join', { mode: 'chess' })).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    const joined = await request(lone, 'matchmaking:join', { mode: 'duel' });
    expect(await request(lone, 'matchmaking:join', { mode: 'duel' })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    expect(await expired).toMatchObject({ ticketId: joined.ok ? joined.data.ticketId : '' });
    expect(statuses).toContain('relaxing');
    expect(statuses[0]).toBe('searching');
  });

  it('cancel stops status events; a disconnect cancels the ticket', async () => {
    await using server = await startTestServer({ config: { features: { matchmaking: { ...fastMatching, expireAfterMs: 60_000 } } } });
    const quitter = await server.connect('quitter');
    const joined = await request(quitter, 'matchmaking:join', { mode: 'duel' });
    if (!joined.ok) throw new Error('join');
    await next(quitter, 'matchmaking:status');
    const cancelled = next(quitter, 'matchmaking:cancelled');
    expect((await request(quitter, 'matchmaking:cancel', { ticketId: joined.data.ticketId })).ok).toBe(true);
    expect(await cancelled).toEqual({ ticketId: joined.data.ticketId });
    const after: unknown[] = [];
    quitter.on('matchmaking:status', (status) => after.push(status));
    // A probe ticket's statuses prove the matcher kept running meanwhile.
    const probe = await server.connect('probe', { mmr: 5000 });
    await request(probe, 'matchmaking:join', { mode: 'duel' });
    await next(probe, 'matchmaking:status');
    await next(probe, 'matchmaking:status');
    expect(after).toEqual([]);

    // A player who disconnects is not matched: their ticket is gone.
    const leaver = await server.connect('leaver', { mmr: 1200 });
    await request(leaver, 'matchmaking:join', { mode: 'duel' });
    leaver.disconnect();
    await expect.poll(async () => {
      const again = await server.connect('leaver', { mmr: 1200 });
      const result = await request(again, 'matchmaking:join', { mode: 'duel' });
      again.disconnect();
      return result.ok;
    }).toBe(true);
  });
});

describe.each(REDIS_BACKENDS)('matchmaking across nodes (%s)', (backend) => {
  const redis = useRedisBackend(backend);

  it('another node takes over matching within 10 s when the lease holder is SIGKILLed, and nobody is matched twice', { timeout: 60_000 }, async () => {
    const env = (nodeId: string) => ({ REDIS_URL: redis().url, NODE_ID: nodeId, MATCHMAKING_LEASE_MS: '1000', MATCHMAKING_STATUS_MS: '200' });
    await using first = await startServerProcess(env('mm-1'));
    await using second = await startServerProcess(env('mm-2'));
    const lease = redis().client();
    await expect.poll(() => lease.get('tavern:matchmaking:lease')).toMatch(/^mm-[12]$/);
    const holderId = await lease.get('tavern:matchmaking:lease');
    const [holder, survivor] = holderId === 'mm-1' ? [first, second] : [second, first];

    const connect = async (userId: string) => {
      const socket: ClientSocket = io(survivor.url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token: await survivor.token(userId, { mmr: 1000 }) } });
      await next(socket, 'session:ready');
      return socket;
    };
    const players = await Promise.all(Array.from({ length: 6 }, (_, i) => connect(`q${i}`)));
    const killedAt = Date.now();
    holder.kill('SIGKILL');
    const matched = players.map((player) => next(player, 'matchmaking:matched', 10_000));
    for (const player of players) expect((await request(player, 'matchmaking:join', { mode: 'duel' })).ok).toBe(true);
    const results = await Promise.all(matched);
    expect(Date.now() - killedAt).toBeLessThan(10_000);
    expect(await lease.get('tavern:matchmaking:lease')).toBe(holderId === 'mm-1' ? 'mm-2' : 'mm-1');
    // Three duels; each player in exactly one of them.
    const lobbies = new Map(results.map((result) => [result.lobbyId, result.players.map((player) => player.userId).sort().join(',')]));
    expect(lobbies.size).toBe(3);
    const everyone = [...lobbies.values()].flatMap((pair) => pair.split(','));
    expect(everyone.sort()).toEqual(players.map((_, i) => `q${i}`).sort());
    for (const player of players) player.close();
  });
});
