import type { Presence } from '@tavern/protocol';
import { describe, expect, it } from 'vitest';
import { io } from 'socket.io-client';
import { REDIS_BACKENDS, useRedisBackend } from './support/redis-connections.js';
import { startServerProcess } from './support/start-server-process.js';
import { clusterConfig, next, request, startTestServer, type ClientSocket } from './support/start-test-server.js';

const GRACE_MS = 1_000;
const fast = { features: { presence: { graceMs: GRACE_MS } } };

function changes(socket: ClientSocket): Presence[] {
  const seen: Presence[] = [];
  socket.on('presence:changed', (presence) => seen.push(presence));
  return seen;
}

describe.each(REDIS_BACKENDS)('presence across two nodes (%s)', (backend) => {
  const redis = useRedisBackend(backend);

  it('stays online while any socket on any node is open, then goes offline after the grace period', async () => {
    await using a = await startTestServer({ config: clusterConfig(redis().url, fast) });
    await using b = await startTestServer({ config: clusterConfig(redis().url, fast) });
    const watcher = await a.connect('watcher');
    const subscribed = await request(watcher, 'presence:subscribe', { userIds: ['alice'] });
    expect(subscribed.ok && subscribed.data.presences[0]).toMatchObject({ userId: 'alice', status: 'offline' });
    const seen = changes(watcher);

    const onA = await a.connect('alice');
    await expect.poll(() => seen.map((presence) => presence.status)).toEqual(['online']);
    const onB = await b.connect('alice');
    onA.disconnect();
    // Past the grace period, alice still has a socket on node B: no change.
    await expect.poll(async () => {
      const got = await request(watcher, 'presence:get', { userIds: ['alice'] });
      return got.ok && got.data.presences[0]?.status;
    }).toBe('online');
    const offlineAfter = Date.now() + GRACE_MS;
    onB.disconnect();
    const offline = await next(watcher, 'presence:changed', 5_000);
    expect(offline).toMatchObject({ userId: 'alice', status: 'offline', lastSeen: expect.any(Number) });
    expect(Date.now()).toBeGreaterThanOrEqual(offlineAfter - 50);
    expect(seen.map((presence) => presence.status)).toEqual(['online', 'offline']);
  });

  it('sends no offline/online flicker for a reload within the grace period, even onto the other node', async () => {
    await using a = await startTestServer({ config: clusterConfig(redis().url, fast) });
    await using b = await startTestServer({ config: clusterConfig(redis().url, fast) });
    const watcher = await a.connect('watcher2');
    await request(watcher, 'presence:subscribe', { userIds: ['bob', 'probe'] });
    const seen = changes(watcher);
    const first = await a.connect('bob');
    const probe = await a.connect('probe');
    await expect.poll(() => seen.length).toBe(2);
    // The probe leaves for good at the same moment: its offline event marks the end of the
    // grace period that bob's first socket started.
    first.disconnect();
    probe.disconnect();
    await b.connect('bob');
    await expect.poll(() => seen.some((presence) => presence.userId === 'probe' && presence.status === 'offline'), { timeout: GRACE_MS * 5 }).toBe(true);
    expect(seen.filter((presence) => presence.userId === 'bob').map((presence) => presence.status)).toEqual(['online']);
  });

  it('announces going offline to the channels the user was in when the socket closed', async () => {
    await using server = await startTestServer({ config: fast });
    const member = await server.connect('innkeeper', { guilds: ['inn'] });
    const leaver = await server.connect('traveller', { guilds: ['inn'] });
    const seen = changes(member);
    leaver.disconnect();
    // No presence subscription: the offline event reaches the member through the guild room.
    await expect.poll(() => seen, { timeout: GRACE_MS * 5 }).toEqual([expect.objectContaining({ userId: 'traveller', status: 'offline' })]);
  });

  it('shows invisible users as offline to others, and auto-away after inactivity', async () => {
    await using a = await startTestServer({ config: clusterConfig(redis().url, { features: { presence: { graceMs: GRACE_MS, awayAfterMs: 400, awayCheckMs: 100 } } }) });
    const watcher = await a.connect('watcher3');
    const carol = await a.connect('carol');
    await request(watcher, 'presence:subscribe', { userIds: ['carol'] });
    const hidden = next(watcher, 'presence:changed');
    expect(await request(carol, 'presence:set', { status: 'invisible' })).toEqual({ ok: true, data: { status: 'invisible' } });
    expect(await hidden).toMatchObject({ userId: 'carol', status: 'offline' });
    const own = await request(carol, 'presence:get', { userIds: ['carol'] });
    expect(own.ok && own.data.presences[0]?.status).toBe('invisible');
    const back = next(watcher, 'presence:changed');
    await request(carol, 'presence:set', { status: 'online', activity: 'In the tavern' });
    expect(await back).toMatchObject({ status: 'online', activity: 'In the tavern' });
    // No events from carol for a while: away. The next event brings her back.
    expect(await next(watcher, 'presence:changed', 3_000)).toMatchObject({ userId: 'carol', status: 'away' });
    const returned = next(watcher, 'presence:changed', 3_000);
    await request(carol, 'time:sync', { clientTime: 1 });
    expect(await returned).toMatchObject({ userId: 'carol', status: 'online' });
  });

  it('turns the users of a SIGKILLed node offline everywhere within 30 s', { timeout: 60_000 }, async () => {
    await using a = await startTestServer({ config: clusterConfig(redis().url, fast) });
    await using node = await startServerProcess({ REDIS_URL: redis().url, REDIS_KEY_PREFIX: 'tavern:' });
    const watcher = await a.connect('watcher4');
    await request(watcher, 'presence:subscribe', { userIds: ['dave'] });
    const online = next(watcher, 'presence:changed', 10_000);
    const dave = io(node.url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token: await node.token('dave') } });
    await next(dave as never, 'session:ready');
    expect(await online).toMatchObject({ userId: 'dave', status: 'online' });
    const killedAt = Date.now();
    node.kill('SIGKILL');
    expect(await next(watcher, 'presence:changed', 30_000)).toMatchObject({ userId: 'dave', status: 'offline' });
    expect(Date.now() - killedAt).toBeLessThan(30_000);
    const got = await request(watcher, 'presence:get', { userIds: ['dave'] });
    expect(got.ok && got.data.presences[0]?.status).toBe('offline');
    dave.close();
  });
});
