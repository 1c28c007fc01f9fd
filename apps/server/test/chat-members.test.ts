/**
 * Channel membership from the stores, never from `fetchSockets`: the `chat:join` ack lists at
 * most 100 members (online first) with `memberCount`; small channels hear member joined/left
 * once per user (not per socket, and a disconnect is a leave); large channels and
 * `global:main` hear `chat:occupancy` at most once a second; a dead node's members leave.
 */
import { io as connectRaw } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import { useRedis } from './support/start-redis.js';
import { startServerProcess } from './support/start-server-process.js';
import { clusterConfig, next, request, startTestServer, type ClientSocket, type TestServer } from './support/start-test-server.js';

const small = { features: { chat: { largeChannelMembers: 3 } } };

async function joinAll(server: TestServer, userIds: readonly string[], channelId: string, guilds: string[] = []): Promise<ClientSocket[]> {
  const sockets: ClientSocket[] = [];
  for (const userId of userIds) {
    const socket = await server.connect(userId, { guilds });
    const joined = await request(socket, 'chat:join', { channelId, historyLimit: 0 });
    if (!joined.ok) throw new Error(`${userId} could not join: ${joined.error.message}`);
    sockets.push(socket);
  }
  return sockets;
}

/** Fails the test if the server asks the adapter for a room's sockets. */
function forbidFetchSockets(server: TestServer): void {
  const adapter = server.tavern.io.of('/').adapter;
  adapter.fetchSockets = () => Promise.reject(new Error('fetchSockets on a command path'));
}

describe('chat membership in memory', () => {
  it('the join ack lists members with memberCount, without fetchSockets', async () => {
    await using server = await startTestServer();
    forbidFetchSockets(server);
    await joinAll(server, ['ann', 'ben'], 'global:main');
    const cid = await server.connect('cid');
    const joined = await request(cid, 'chat:join', { channelId: 'global:main', historyLimit: 0 });
    if (!joined.ok) throw new Error(joined.error.message);
    expect(joined.data.memberCount).toBe(3);
    expect(joined.data.members.map((member) => member.userId).sort()).toEqual(['ann', 'ben', 'cid']);
  });

  it('lists at most 100 members, online ones first, and counts them all', async () => {
    await using server = await startTestServer({ config: {
        limits: { handshakesPerIp: 1_000, engineOpensPerIp: { ratePerSec: 1_000, burst: 1_000 } },
        // Not "large": a large channel reuses its sample of members for a second.
        features: { chat: { largeChannelMembers: 1_000 } },
      }, });
    const ids = Array.from({ length: 104 }, (_, i) => `u${i}`);
    const sockets = await joinAll(server, ids, 'global:main');
    // Two members are away: a list of 100 has room for online members only.
    expect((await request(sockets[0]!, 'presence:set', { status: 'away' })).ok).toBe(true);
    expect((await request(sockets[1]!, 'presence:set', { status: 'away' })).ok).toBe(true);
    const late = await server.connect('late');
    const joined = await request(late, 'chat:join', { channelId: 'global:main', historyLimit: 0 });
    if (!joined.ok) throw new Error(joined.error.message);
    expect(joined.data.memberCount).toBe(105);
    expect(joined.data.members).toHaveLength(100);
    // 105 members fit in the sample of 200 the list is chosen from: the two away ones are left out.
    expect(joined.data.members.every((member) => member.status === 'online')).toBe(true);
  });

  it('a large channel reuses whom it lists for a second, but never the status it shows', async () => {
    await using server = await startTestServer({ config: small });
    const sockets = await joinAll(server, ['m0', 'm1', 'm2', 'm3', 'm4'], 'global:main');
    // The last join listed m0..m4 and keeps that pick; m0 hides and m1 steps away right after.
    expect((await request(sockets[0]!, 'presence:set', { status: 'invisible' })).ok).toBe(true);
    expect((await request(sockets[1]!, 'presence:set', { status: 'away' })).ok).toBe(true);
    const late = await server.connect('late');
    const joined = await request(late, 'chat:join', { channelId: 'global:main', historyLimit: 0 });
    if (!joined.ok) throw new Error(joined.error.message);
    const statusOf = new Map(joined.data.members.map((member) => [member.userId, member.status]));
    expect(statusOf.get('m0')).toBe('offline');
    expect(statusOf.get('m1')).toBe('away');
    // Online first, whatever order the pick was made in.
    expect(joined.data.members.findIndex((member) => member.status !== 'online')).toBe(joined.data.members.filter((member) => member.status === 'online').length);
  });

  it('in memory, a join storm reads no status until one changes, and then shows it', async () => {
    await using server = await startTestServer({ config: small });
    const members = await joinAll(server, ['m0', 'm1', 'm2', 'm3', 'm4'], 'global:main');
    // Connected before the first of their joins: no connect changes a status in between.
    const [late1, late2, late3] = [await server.connect('late1'), await server.connect('late2'), await server.connect('late3')];
    const presence = server.tavern.context.services.find('presence')!;
    let reads = 0;
    const statuses = presence.statuses.bind(presence);
    presence.statuses = (userIds) => (reads++, statuses(userIds));
    const statusOf = async (socket: ClientSocket) => {
      const joined = await request(socket, 'chat:join', { channelId: 'global:main', historyLimit: 0 });
      if (!joined.ok) throw new Error(joined.error.message);
      return new Map(joined.data.members.map((member) => [member.userId, member.status]));
    };
    // late1's join builds the list (the connects since the last join changed statuses);
    // late2's, with nothing changed, is that list again without reading a status.
    expect((await statusOf(late1)).get('m0')).toBe('online');
    const readsBefore = reads;
    expect((await statusOf(late2)).get('m0')).toBe('online');
    expect(reads).toBe(readsBefore);
    // A status set since then is shown at once.
    expect((await request(members[0]!, 'presence:set', { status: 'invisible' })).ok).toBe(true);
    expect((await statusOf(late3)).get('m0')).toBe('offline');
    expect(reads).toBe(readsBefore + 1);
  });

  it('a small channel hears one joined per user and a left when its last socket goes, disconnect included', async () => {
    await using server = await startTestServer({ config: small });
    const [watcher] = await joinAll(server, ['watcher'], 'global:main');
    const owner = await server.connect('owner');
    const created = await request(owner, 'chat:create', { name: 'den', visibility: 'public' });
    if (!created.ok) throw new Error(created.error.message);
    const { channelId } = created.data;
    const [host] = await joinAll(server, ['host'], channelId);
    void watcher;
    const joins: string[] = [];
    const lefts: string[] = [];
    host!.on('chat:member:joined', ({ member }) => joins.push(member.userId));
    host!.on('chat:member:left', ({ userId }) => lefts.push(userId));
    const first = await server.connect('guest');
    const second = await server.connect('guest');
    await request(first, 'chat:join', { channelId, historyLimit: 0 });
    await request(second, 'chat:join', { channelId, historyLimit: 0 });
    await expect.poll(() => joins).toEqual(['guest']);
    expect((await request(first, 'chat:leave', { channelId })).ok).toBe(true);
    const left = next(host!, 'chat:member:left');
    second.disconnect();
    expect(await left).toEqual({ channelId, userId: 'guest' });
    expect(lefts).toEqual(['guest']);
    expect(joins).toEqual(['guest']);
  });

  it('a large channel hears chat:occupancy instead, at most once a second', async () => {
    await using server = await startTestServer({ config: small });
    const owner = await server.connect('owner');
    const created = await request(owner, 'chat:create', { name: 'hall', visibility: 'public' });
    if (!created.ok) throw new Error(created.error.message);
    const { channelId } = created.data;
    const [first] = await joinAll(server, ['m0', 'm1', 'm2'], channelId);
    const joined: string[] = [];
    const occupancy: { count: number; at: number }[] = [];
    first!.on('chat:member:joined', ({ member }) => joined.push(member.userId));
    first!.on('chat:occupancy', ({ count }) => occupancy.push({ count, at: Date.now() }));
    await joinAll(server, ['m3', 'm4', 'm5', 'm6'], channelId);
    await expect.poll(() => occupancy.at(-1)?.count, { timeout: 5_000 }).toBe(7);
    expect(joined).toEqual([]);
    for (let i = 1; i < occupancy.length; i++) expect(occupancy[i]!.at - occupancy[i - 1]!.at).toBeGreaterThanOrEqual(900);
  });

  it('a channel whose room holds more sockets than the threshold is large, joined or not (a guild)', async () => {
    await using server = await startTestServer({ config: small });
    // Guild members are in their guild's room from connect, before any chat:join.
    const sockets = [];
    for (const userId of ['g0', 'g1', 'g2', 'g3', 'g4']) sockets.push(await server.connect(userId, { guilds: ['g'] }));
    const heard: string[] = [];
    for (const socket of sockets) socket.onAny((event: string) => heard.push(event));
    const occupancy = next(sockets[4]!, 'chat:occupancy');
    expect((await request(sockets[0]!, 'chat:join', { channelId: 'guild:g', historyLimit: 0 })).ok).toBe(true);
    expect(await occupancy).toEqual({ channelId: 'guild:g', count: 1 });
    expect(heard).not.toContain('chat:member:joined');
  });
});

describe('chat membership across nodes', () => {
  const redis = useRedis();

  it('counts and lists members of every node, and forgets the members of a node that died', async () => {
    await using a = await startTestServer({ config: clusterConfig(redis().url, small) });
    forbidFetchSockets(a);
    await using node = await startServerProcess({ REDIS_URL: redis().url, NODE_ID: 'doomed' });
    const [here] = await joinAll(a, ['here'], 'guild:g1', ['g1']);
    const there = connectRaw(node.url, { transports: ['websocket'], auth: { token: await node.token('there', { guilds: ['g1'] }) }, forceNew: true });
    await next(there as never, 'session:ready');
    const joinedThere = await new Promise<{ memberCount: number; members: { userId: string }[] }>((resolve) => {
      there.emit('chat:join', { channelId: 'guild:g1', historyLimit: 0 }, (result: { ok: true; data: { memberCount: number; members: { userId: string }[] } }) => resolve(result.data));
    });
    expect(joinedThere.memberCount).toBe(2);
    expect(joinedThere.members.map((member) => member.userId).sort()).toEqual(['here', 'there']);

    const left = next(here!, 'chat:member:left');
    node.kill('SIGKILL');
    await node.exited;
    // What 15 s of silence would do: the dead node's heartbeat key expires.
    await redis().client().del('tavern:node:doomed');
    expect(await left).toEqual({ channelId: 'guild:g1', userId: 'there' });
    const late = await a.connect('late', { guilds: ['g1'] });
    const joined = await request(late, 'chat:join', { channelId: 'guild:g1', historyLimit: 0 });
    expect(joined.ok && joined.data.memberCount).toBe(2);
    there.close();
  });

  it('joins sent at once by one socket count it once per channel, and its disconnect leaves them all', async () => {
    // Over Redis: the store's round trip is the window in which the joins overlap.
    await using server = await startTestServer({ config: clusterConfig(redis().url) });
    const rush = await server.connect('rush', { guilds: ['g'] });
    await Promise.all([
      request(rush, 'chat:join', { channelId: 'global:main', historyLimit: 0 }),
      request(rush, 'chat:join', { channelId: 'global:main', historyLimit: 0 }),
      request(rush, 'chat:join', { channelId: 'guild:g', historyLimit: 0 }),
    ]);
    const closed = new Promise((resolve) => rush.once('disconnect', resolve));
    rush.disconnect();
    await closed;
    const late = await server.connect('late', { guilds: ['g'] });
    for (const channelId of ['global:main', 'guild:g']) {
      await expect
        .poll(async () => {
          const joined = await request(late, 'chat:join', { channelId, historyLimit: 0 });
          return joined.ok && joined.data.memberCount;
        })
        .toBe(1);
    }
  });

  it('restores its members after Redis came back empty', async () => {
    await using a = await startTestServer({ config: clusterConfig(redis().url) });
    await joinAll(a, ['ann', 'ben'], 'global:main');
    await redis().stop();
    await expect.poll(() => a.tavern.redis?.healthy, { timeout: 10_000 }).toBe(false);
    await redis().start();
    await expect.poll(() => a.tavern.redis?.healthy, { timeout: 10_000 }).toBe(true);
    const cid = await a.connect('cid');
    await expect
      .poll(async () => {
        const joined = await request(cid, 'chat:join', { channelId: 'global:main', historyLimit: 0 });
        return joined.ok ? joined.data.memberCount : joined.error.code;
      }, { timeout: 10_000 })
      .toBe(3);
  });
});
