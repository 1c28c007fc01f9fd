import type { MetricsSummaryResult, RoomsResult } from '@tavern/protocol';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_BACKENDS, useRedisBackend } from './support/redis-connections.js';
import { clusterConfig, next, request, startTestServer, type TestServer } from './support/start-test-server.js';

interface Call {
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  body?: unknown;
}

function call(server: TestServer, { method, path, body }: Call, token?: string | null): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
    ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
}

const adminToken = (server: TestServer) => server.token('ops', { roles: ['admin'] });

describe('admin API', () => {
  const ROUTES: { name: string; valid: Call; invalid: Call }[] = [
    { name: 'stats', valid: { method: 'GET', path: '/api/realtime/stats' }, invalid: { method: 'GET', path: '/api/realtime/stats' } },
    { name: 'rooms', valid: { method: 'GET', path: '/api/realtime/rooms' }, invalid: { method: 'GET', path: '/api/realtime/rooms?limit=500' } },
    { name: 'metrics summary', valid: { method: 'GET', path: '/api/realtime/metrics-summary' }, invalid: { method: 'GET', path: '/api/realtime/metrics-summary' } },
    {
      name: 'announce',
      valid: { method: 'POST', path: '/api/realtime/announce', body: { message: 'Server restarts at noon', priority: 'warning' } },
      invalid: { method: 'POST', path: '/api/realtime/announce', body: { message: '' } },
    },
    {
      name: 'emit',
      valid: { method: 'POST', path: '/api/realtime/emit', body: { target: { type: 'user', id: 'alice' }, event: 'notification:count', data: { unread: 3 } } },
      invalid: { method: 'POST', path: '/api/realtime/emit', body: { target: { type: 'user', id: 'alice' }, event: 'notification:count', data: { unread: 'many' } } },
    },
    {
      name: 'notify',
      valid: { method: 'POST', path: '/api/realtime/notify', body: { userIds: ['alice'], type: 'reward', title: 'Daily reward', body: '50 gold' } },
      invalid: { method: 'POST', path: '/api/realtime/notify', body: { userIds: [], type: 'reward', title: 'x', body: 'y' } },
    },
    {
      name: 'guild members',
      valid: { method: 'PUT', path: '/api/realtime/guilds/knights/members', body: { userIds: ['alice'] } },
      invalid: { method: 'PUT', path: '/api/realtime/guilds/knights/members', body: { userIds: ['not valid!'] } },
    },
    {
      name: 'disconnect',
      valid: { method: 'POST', path: '/api/realtime/users/alice/disconnect', body: { reason: 'maintenance' } },
      invalid: { method: 'POST', path: '/api/realtime/users/alice/disconnect', body: 'not json' },
    },
    {
      name: 'revoke',
      valid: { method: 'POST', path: '/api/realtime/revoke', body: { jti: 'token-1', until: Date.now() + 3_600_000 } },
      invalid: { method: 'POST', path: '/api/realtime/revoke', body: { until: Date.now() + 60_000 } },
    },
  ];

  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it.each(ROUTES)('$name: 401 without a token, 401 with a bad one, 403 for a player', async ({ valid }) => {
    expect((await call(server, valid)).status).toBe(401);
    expect((await call(server, valid, 'not-a-token')).status).toBe(401);
    const forbidden = await call(server, valid, await server.token('alice'));
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({ error: { code: 'FORBIDDEN', message: expect.any(String) } });
  });

  it.each(ROUTES.filter((route) => route.name !== 'stats' && route.name !== 'metrics summary'))('$name: 400 on a bad body or query', async ({ invalid }) => {
    const response = await call(server, invalid, await adminToken(server));
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'INVALID_PAYLOAD' } });
  });

  it('emit: 400 for an unknown event, and the data must match the event schema', async () => {
    const token = await adminToken(server);
    const unknown = await call(server, { method: 'POST', path: '/api/realtime/emit', body: { target: { type: 'all' }, event: 'chat:explode', data: {} } }, token);
    expect(unknown.status).toBe(400);
    const noId = await call(server, { method: 'POST', path: '/api/realtime/emit', body: { target: { type: 'zone' }, event: 'notification:count', data: { unread: 1 } } }, token);
    expect(noId.status).toBe(400);
  });

  it('stats: this node’s figures', async () => {
    const alice = await server.connect('alice');
    await request(alice, 'time:sync', { clientTime: 1 });
    const response = await call(server, { method: 'GET', path: '/api/realtime/stats' }, await server.token('svc', { roles: ['service'] }));
    expect(response.status).toBe(200);
    const stats = (await response.json()) as { node: { connections: number; users: number }; cluster: { nodes: number } };
    expect(stats.node.connections).toBeGreaterThanOrEqual(1);
    expect(stats.node.users).toBeGreaterThanOrEqual(1);
    expect(stats.cluster.nodes).toBe(1);
    alice.disconnect();
  });

  it('rooms: this node’s rooms by kind and its busiest rooms, bounded by limit and filtered by kind', async () => {
    const token = await adminToken(server);
    const players = await Promise.all(['rooms-a', 'rooms-b', 'rooms-c'].map((userId) => server.connect(userId)));
    for (const player of players) expect((await request(player, 'chat:join', { channelId: 'global:main' })).ok).toBe(true);
    const rooms = async (query = '') => {
      const response = await call(server, { method: 'GET', path: `/api/realtime/rooms${query}` }, token);
      expect(response.status).toBe(200);
      return (await response.json()) as RoomsResult;
    };

    const all = await rooms();
    expect(all.nodes).toHaveLength(1);
    expect(all.cluster.busiest[0]).toEqual({ room: 'global:main', kind: 'global', sockets: expect.any(Number) });
    expect(all.cluster.busiest[0]!.sockets).toBeGreaterThanOrEqual(3);
    const users = all.cluster.byKind.find((kind) => kind.kind === 'user');
    expect(users?.rooms).toBeGreaterThanOrEqual(3);
    // Each socket's own room is not a room of the API.
    expect(all.cluster.rooms).toBe(all.cluster.byKind.reduce((sum, kind) => sum + kind.rooms, 0));

    expect((await rooms('?limit=1')).cluster.busiest).toHaveLength(1);
    const ofUsers = await rooms('?kind=user&limit=100');
    expect(ofUsers.cluster.busiest.length).toBeGreaterThanOrEqual(3);
    expect(ofUsers.cluster.busiest.every((room) => room.kind === 'user' && room.room.startsWith('user:'))).toBe(true);
    expect((await call(server, { method: 'GET', path: '/api/realtime/rooms?kind=Not%20A%20Kind' }, token)).status).toBe(400);
    for (const player of players) player.disconnect();
  });

  it('metrics summary: refusals by code, rate limits by event and refused handshakes, as /metrics counts them', async () => {
    const token = await adminToken(server);
    const summary = async () => {
      const response = await call(server, { method: 'GET', path: '/api/realtime/metrics-summary' }, token);
      expect(response.status).toBe(200);
      return (await response.json()) as MetricsSummaryResult;
    };
    const before = await summary();
    const spammer = await server.connect('spammer');
    expect((await request(spammer, 'chat:join', { channelId: 'global:main' })).ok).toBe(true);
    let limited = 0;
    for (let i = 0; i < 20; i++) {
      const sent = await request(spammer, 'chat:send', { channelId: 'global:main', content: `hello ${i}`, clientMsgId: `spam-${i}` });
      if (!sent.ok && sent.error.code === 'RATE_LIMITED') limited++;
    }
    expect(limited).toBeGreaterThan(0);
    expect(await request(spammer, 'chat:join', { channelId: 'guild:nobodys' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await server.refuse({ token: 'junk' })).toMatchObject({ code: 'UNAUTHENTICATED' });

    const after = await summary();
    const delta = (pick: (figures: MetricsSummaryResult['cluster']) => number | undefined) => (pick(after.cluster) ?? 0) - (pick(before.cluster) ?? 0);
    expect(delta((figures) => figures.refusals['RATE_LIMITED'])).toBe(limited);
    expect(delta((figures) => figures.rateLimited['chat:send'])).toBe(limited);
    expect(delta((figures) => figures.refusals['FORBIDDEN'])).toBe(1);
    expect(delta((figures) => figures.events.refused)).toBe(limited + 1);
    expect(delta((figures) => figures.events.ok)).toBe(1 + 20 - limited);
    expect(delta((figures) => figures.handshakeRefusals['UNAUTHENTICATED'])).toBe(1);
    expect(after.node).toMatchObject({ nodeId: after.nodes[0]!.nodeId, slowConsumerDisconnects: 0, floodDisconnects: 0, internalErrors: 0 });
    spammer.disconnect();
  });

  it('announce reaches every client; emit reaches the target; disconnect ends the user’s sockets', async () => {
    const token = await adminToken(server);
    const bob = await server.connect('bob');
    const carol = await server.connect('carol');
    const announced = Promise.all([next(bob, 'system:announcement'), next(carol, 'system:announcement')]);
    const announce = await call(server, { method: 'POST', path: '/api/realtime/announce', body: { message: 'hello all' } }, token);
    expect(announce.status).toBe(200);
    const [toBob, toCarol] = await announced;
    expect(toBob).toMatchObject({ message: 'hello all', priority: 'info', id: ((await announce.json()) as { id: string }).id });
    expect(toCarol.message).toBe('hello all');

    const counted = next(bob, 'notification:count');
    const emit = await call(server, { method: 'POST', path: '/api/realtime/emit', body: { target: { type: 'user', id: 'bob' }, event: 'notification:count', data: { unread: 4 } } }, token);
    expect(emit.status).toBe(200);
    expect(await counted).toEqual({ unread: 4 });

    const ended = next(carol, 'session:ended');
    const disconnect = await call(server, { method: 'POST', path: '/api/realtime/users/carol/disconnect', body: { reason: 'cheating' } }, token);
    expect(await disconnect.json()).toEqual({ disconnected: true });
    expect(await ended).toEqual({ reason: 'KICKED', message: 'cheating' });
    const nobody = await call(server, { method: 'POST', path: '/api/realtime/users/nobody/disconnect', body: { reason: 'x' } }, token);
    expect(await nobody.json()).toEqual({ disconnected: false });
  });

  it('notify stores and pushes a notification; guild members get the guild channel', async () => {
    const token = await adminToken(server);
    const erin = await server.connect('erin');
    const pushed = next(erin, 'notification:new');
    const counted = next(erin, 'notification:count');
    const notify = await call(server, { method: 'POST', path: '/api/realtime/notify', body: { userIds: ['erin', 'offline-frank'], type: 'reward', title: 'Daily reward', body: '50 gold', data: { gold: 50 } } }, token);
    expect(await notify.json()).toEqual({ notified: 2 });
    expect(await pushed).toMatchObject({ type: 'reward', title: 'Daily reward', data: { gold: 50 }, read: false });
    expect(await counted).toEqual({ unread: 1 });

    expect(await request(erin, 'chat:join', { channelId: 'guild:knights' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const members = await call(server, { method: 'PUT', path: '/api/realtime/guilds/knights/members', body: { userIds: ['erin', 'gus'] } }, token);
    expect(await members.json()).toEqual({ guildId: 'knights', members: 2 });
    expect((await request(erin, 'chat:join', { channelId: 'guild:knights' })).ok).toBe(true);
    const claimed = await server.connect('hal', { guilds: ['knights'] });
    expect((await request(claimed, 'chat:join', { channelId: 'guild:knights' })).ok).toBe(true);
    await call(server, { method: 'PUT', path: '/api/realtime/guilds/knights/members', body: { userIds: [] } }, token);
    expect(await request(erin, 'chat:send', { channelId: 'guild:knights', content: 'still here?', clientMsgId: 'g1' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    erin.disconnect();
    claimed.disconnect();
  });

  it('/metrics parses as Prometheus text and its counters move when events flow', async () => {
    const scrape = async () => parsePrometheusTextFormat(await (await fetch(`${server.url}/metrics`)).text());
    const value = (families: Awaited<ReturnType<typeof scrape>>, name: string, labels: Record<string, string> = {}) =>
      Number(
        families
          .find((family) => family.name === name)
          ?.metrics.find((metric) => Object.entries(labels).every(([key, expected]) => metric.labels?.[key] === expected))?.value ?? 0,
      );
    const before = await scrape();
    const dave = await server.connect('dave');
    for (let i = 0; i < 3; i++) await request(dave, 'time:sync', { clientTime: i });
    await request(dave, 'auth:refresh', { token: 'junk' });
    const after = await scrape();
    expect(value(after, 'tavern_events_total', { event: 'time:sync', outcome: 'ok' }) - value(before, 'tavern_events_total', { event: 'time:sync', outcome: 'ok' })).toBe(3);
    expect(value(after, 'tavern_acks_total', { code: 'UNAUTHENTICATED' })).toBeGreaterThan(value(before, 'tavern_acks_total', { code: 'UNAUTHENTICATED' }));
    expect(value(after, 'tavern_handshakes_total', { outcome: 'ok' })).toBeGreaterThan(value(before, 'tavern_handshakes_total', { outcome: 'ok' }));
    expect(value(after, 'tavern_connections')).toBeGreaterThanOrEqual(1);
    expect(value(after, 'tavern_users')).toBeGreaterThanOrEqual(1);
    expect(value(after, 'tavern_rooms')).toBeGreaterThanOrEqual(1);
    const names = after.map((family) => family.name);
    for (const name of ['tavern_handler_duration_seconds', 'tavern_rate_limited_total', 'tavern_slow_consumer_disconnects_total', 'tavern_redis_up']) {
      expect(names).toContain(name);
    }
    dave.disconnect();
  });
});

describe.each(REDIS_BACKENDS)('revocation across two nodes (%s)', (backend) => {
  const redis = useRedisBackend(backend);

  it('ends the revoked token’s sockets on both nodes within 2 s and refuses it at the next handshake', async () => {
    await using a = await startTestServer({ config: clusterConfig(redis().url) });
    await using b = await startTestServer({ config: clusterConfig(redis().url) });
    const token = await a.token('eve', { jti: 'stolen-token' });
    const onA = await a.connect('eve', { token });
    const onB = await b.connect('eve', { token });
    const other = await b.connect('eve', { jti: 'fresh-token' });
    const endedA = next(onA, 'session:ended', 2_000);
    const endedB = next(onB, 'session:ended', 2_000);
    const response = await call(a, { method: 'POST', path: '/api/realtime/revoke', body: { jti: 'stolen-token', until: Date.now() + 3_600_000 } }, await adminToken(a));
    expect(response.status).toBe(200);
    expect(await endedA).toMatchObject({ reason: 'TOKEN_REVOKED' });
    expect(await endedB).toMatchObject({ reason: 'TOKEN_REVOKED' });
    expect(other.connected).toBe(true);
    expect(await a.refuse({ token })).toMatchObject({ code: 'TOKEN_REVOKED' });
    expect(await b.refuse({ token })).toMatchObject({ code: 'TOKEN_REVOKED' });
    // A revoked token cannot come back through auth:refresh either.
    expect(await request(other, 'auth:refresh', { token })).toMatchObject({ ok: false, error: { code: 'TOKEN_REVOKED' } });
  });

  it('rooms and the metrics summary gather every node', async () => {
    await using a = await startTestServer({ config: clusterConfig(redis().url) });
    await using b = await startTestServer({ config: clusterConfig(redis().url) });
    const onA = await a.connect('nia');
    const onB = await b.connect('noor');
    for (const player of [onA, onB]) expect((await request(player, 'chat:join', { channelId: 'global:main' })).ok).toBe(true);
    await b.refuse({ token: 'junk' });

    const rooms = (await (await call(a, { method: 'GET', path: '/api/realtime/rooms?kind=global' }, await adminToken(a))).json()) as RoomsResult;
    expect(rooms.nodes).toHaveLength(2);
    expect(rooms.nodes.map((node) => node.busiest)).toEqual([[{ room: 'global:main', kind: 'global', sockets: 1 }], [{ room: 'global:main', kind: 'global', sockets: 1 }]]);
    expect(rooms.cluster.busiest).toEqual([{ room: 'global:main', kind: 'global', sockets: 2 }]);
    expect(rooms.cluster.byKind.find((kind) => kind.kind === 'user')).toEqual({ kind: 'user', rooms: 2, sockets: 2 });

    const metrics = (await (await call(a, { method: 'GET', path: '/api/realtime/metrics-summary' }, await adminToken(a))).json()) as MetricsSummaryResult;
    expect(metrics.nodes).toHaveLength(2);
    expect(metrics.cluster.events.ok).toBe(2);
    expect(metrics.cluster.handshakeRefusals).toEqual({ UNAUTHENTICATED: 1 });
  });

  it('stats gather every node', async () => {
    await using a = await startTestServer({ config: clusterConfig(redis().url) });
    await using b = await startTestServer({ config: clusterConfig(redis().url) });
    await b.connect('zed');
    const response = await call(a, { method: 'GET', path: '/api/realtime/stats' }, await adminToken(a));
    const stats = (await response.json()) as { nodes: { nodeId: string }[]; cluster: { connections: number; nodes: number } };
    expect(stats.cluster.nodes).toBe(2);
    expect(stats.cluster.connections).toBe(1);
  });
});
