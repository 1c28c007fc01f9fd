/**
 * A Redis that lost its data without a visible outage (FLUSHALL, or a restart without
 * persistence quicker than the health check) used to go unnoticed: no node re-published its
 * sockets, so users showed offline and the sockets-per-user cap counted nobody (13 sockets
 * for one user). Every health check now reads an epoch marker, and a missing or replaced
 * marker runs the same recovery as an outage (platform/redis-epoch.ts).
 */
import { describe, expect, it } from 'vitest';
import { startRedis, useRedis, type TestRedis } from './support/start-redis.js';
import { clusterConfig, request, startTestServer, type ClientSocket, type TestServer } from './support/start-test-server.js';

/** What one health-check period (1 s by default) plus the recovery round trips take, several times over. */
const REPAIR_MS = 5_000;
/** Poll slowly enough to stay far inside the default event rate limit (20/s). */
const POLL_MS = 200;

async function dataLosses(server: TestServer): Promise<number> {
  return (await server.tavern.metrics.redisDataLosses.get()).values[0]?.value ?? 0;
}

/** The status `viewer` is told for `userId`, or the error code. */
async function statusSeenBy(viewer: ClientSocket, userId: string): Promise<string | undefined> {
  const answer = await request(viewer, 'presence:get', { userIds: [userId] });
  return answer.ok ? answer.data.presences[0]?.status : answer.error.code;
}

/**
 * Resolves right after the node's health check has probed `redis` and had its answer: MONITOR
 * shows the probe's TIME (the only TIME sent by a client; write scripts call it from Lua), and
 * a round trip of our own after it comes back after the node has read its reply.
 */
async function afterHealthCheck(redis: TestRedis): Promise<void> {
  const probe = redis.client();
  await probe.ping();
  const monitor = await redis.client().monitor();
  try {
    await new Promise<void>((resolve) => {
      monitor.on('monitor', (_time: string, args: string[], source: string) => {
        if (source !== 'lua' && args[0]?.toLowerCase() === 'time') resolve();
      });
    });
    await probe.ping();
  } finally {
    monitor.disconnect();
    probe.disconnect();
  }
}

describe('Redis that loses its data while it stays up', () => {
  const redis = useRedis();

  it('after FLUSHALL, a connected user is seen online again by another user, with the status they chose', async () => {
    await using a = await startTestServer({ config: clusterConfig(redis().url) });
    await using b = await startTestServer({ config: clusterConfig(redis().url) });
    const alice = await a.connect('alice');
    const bob = await b.connect('bob');
    expect(await request(alice, 'presence:set', { status: 'busy' })).toMatchObject({ ok: true });
    await expect.poll(() => statusSeenBy(bob, 'alice'), { interval: POLL_MS }).toBe('busy');

    await redis().client().flushall();

    await expect.poll(() => statusSeenBy(bob, 'alice'), { timeout: REPAIR_MS, interval: POLL_MS }).toBe('busy');
    await expect.poll(() => statusSeenBy(alice, 'bob'), { timeout: REPAIR_MS, interval: POLL_MS }).toBe('online');
    // Both nodes noticed the one flush, once each.
    await expect.poll(() => dataLosses(a), { timeout: REPAIR_MS, interval: POLL_MS }).toBe(1);
    await expect.poll(() => dataLosses(b), { timeout: REPAIR_MS, interval: POLL_MS }).toBe(1);
  });

  it('after FLUSHALL, the sockets-per-user cap still holds across nodes: the next socket answers LIMIT_EXCEEDED', async () => {
    const config = clusterConfig(redis().url, { limits: { maxSocketsPerUser: 3 } });
    await using a = await startTestServer({ config });
    await using b = await startTestServer({ config });
    const token = await a.token('carol');
    await a.connect('carol', { token });
    await a.connect('carol', { token });
    await b.connect('carol', { token });
    expect(await b.refuse({ token })).toMatchObject({ code: 'LIMIT_EXCEEDED' });

    await redis().client().flushall();

    await expect.poll(async () => (await a.tavern.realtime.getUserSockets('carol')).length, { timeout: REPAIR_MS, interval: POLL_MS }).toBe(3);
    expect(await a.refuse({ token })).toMatchObject({ code: 'LIMIT_EXCEEDED' });
    expect(await b.refuse({ token })).toMatchObject({ code: 'LIMIT_EXCEEDED' });
  });

  it('after FLUSHALL, a revoked token is still refused with TOKEN_REVOKED', async () => {
    await using a = await startTestServer({ config: clusterConfig(redis().url) });
    await using b = await startTestServer({ config: clusterConfig(redis().url) });
    const token = await a.token('mallory');
    const now = Date.now();
    await a.tavern.context.revocations.revoke({ userId: 'mallory', revokedAt: now, until: now + 3_600_000 });
    expect(await b.refuse({ token })).toMatchObject({ code: 'TOKEN_REVOKED' });

    const client = redis().client();
    await client.flushall();

    await expect.poll(() => client.hexists('tavern:revocations', 'user:mallory'), { timeout: REPAIR_MS, interval: POLL_MS }).toBe(1);
    expect(await b.refuse({ token })).toMatchObject({ code: 'TOKEN_REVOKED' });
  });
});

describe('Redis restarted quicker than the health check', () => {
  /** Long enough that a whole restart fits between two checks however loaded the machine. */
  const healthCheckMs = 3_000;

  /** A node allowing 2 sockets per user, and dave with both of them. */
  async function cappedNode(redis: TestRedis) {
    const config = clusterConfig(redis.url, { limits: { maxSocketsPerUser: 2 } });
    const node = await startTestServer({ config: { ...config, redis: { url: redis.url, keyPrefix: 'tavern:', healthCheckMs } } });
    const token = await node.token('dave');
    await node.connect('dave', { token });
    await node.connect('dave', { token });
    expect(await node.refuse({ token })).toMatchObject({ code: 'LIMIT_EXCEEDED' });
    return Object.assign(node, { daveToken: token });
  }

  /**
   * Restarts Redis right after a health check, and waits until the registry holds dave's two
   * sockets again. True when the node saw the restart as an outage (then the test proves nothing).
   */
  async function restartUnseen(redis: TestRedis, node: TestServer): Promise<boolean> {
    await afterHealthCheck(redis);
    let sawOutage = false;
    const watch = setInterval(() => (sawOutage ||= !node.tavern.redis?.healthy), 20);
    try {
      await redis.stop();
      await redis.start();
      await expect
        .poll(async () => (await node.tavern.realtime.getUserSockets('dave')).length, { timeout: 2 * healthCheckMs + REPAIR_MS, interval: POLL_MS })
        .toBe(2);
    } finally {
      clearInterval(watch);
    }
    return sawOutage;
  }

  it('without persistence, is noticed while the node stays ready, and the sockets-per-user cap holds again', async () => {
    await using quick = await startRedis();
    await using node = await cappedNode(quick);

    expect(await restartUnseen(quick, node)).toBe(false);
    expect(await dataLosses(node)).toBe(1);
    expect(await node.refuse({ token: node.daveToken })).toMatchObject({ code: 'LIMIT_EXCEEDED' });
  });

  it('with persistence that lacks the last writes, re-publishes the registry too', async () => {
    await using persistent = await startRedis({ persistent: true });
    await using node = await cappedNode(persistent);
    // Stands for the writes a restart can lose (AOF fsync every second, an older RDB snapshot,
    // a lagging replica promoted): the marker survives, dave's sockets do not.
    await persistent.client().del('tavern:user:dave:sockets');

    expect(await restartUnseen(persistent, node)).toBe(false);
    expect(await dataLosses(node)).toBe(0);
    expect(await node.refuse({ token: node.daveToken })).toMatchObject({ code: 'LIMIT_EXCEEDED' });
  });
});
