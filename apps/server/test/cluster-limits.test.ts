/**
 * Limits that hold across the cluster (issue #21): handshakes per IP, events per user and
 * messages per channel, counted in Redis by every node (transport/distributed-limiter.ts). Two
 * in-process nodes on one real Redis; the assertions count accepted and refused, within the
 * documented slack: over a window a bucket accepts at most `burst + rate * W + nodes * credit`.
 */
import { describe, expect, it } from 'vitest';
import type { ConfigOverrides } from '../src/config.js';
import { loadConfig } from '../src/env.js';
import { useRedis } from './support/start-redis.js';
import { clusterConfig, request, startTestServer, type ClientSocket, type TestServer } from './support/start-test-server.js';

const redis = useRedis();

/** `time:sync` has 4 per socket, 16 per user (factor 4, credit 4) and almost no refill: 0.01/s per socket. */
const SOCKET_BURST = 4;
const USER_FACTOR = 4;
const USER_BURST = SOCKET_BURST * USER_FACTOR;
const USER_CREDIT = SOCKET_BURST;

function nodeConfig(overrides: ConfigOverrides = {}): ConfigOverrides {
  return clusterConfig(redis().url, {
    trustProxy: ['loopback'],
    ...overrides,
    limits: {
      // Every other test connects from 127.0.0.1 too.
      handshakesPerIp: 10_000,
      userRateFactor: USER_FACTOR,
      rateLimits: { 'time:sync': { ratePerSec: 0.01, burst: SOCKET_BURST } },
      ...overrides.limits,
    },
  });
}

async function twoNodes(overrides: ConfigOverrides = {}): Promise<[TestServer, TestServer]> {
  return Promise.all([startTestServer({ config: nodeConfig(overrides) }), startTestServer({ config: nodeConfig(overrides) })]);
}

async function connectMany(node: TestServer, userId: string, count: number): Promise<ClientSocket[]> {
  const sockets: ClientSocket[] = [];
  for (let i = 0; i < count; i++) sockets.push(await node.connect(userId));
  return sockets;
}

/**
 * Each socket sends one `time:sync` per round, all sockets at once, `rounds` times; resolves with
 * the accepted count per socket. Every refusal must be RATE_LIMITED with a retryAfterMs.
 */
async function syncRounds(sockets: readonly ClientSocket[], rounds: number): Promise<number[]> {
  const accepted = sockets.map(() => 0);
  for (let round = 0; round < rounds; round++) {
    const results = await Promise.all(sockets.map((socket) => request(socket, 'time:sync', { clientTime: Date.now() })));
    results.forEach((result, i) => {
      if (result.ok) accepted[i]! += 1;
      else {
        expect(result.error.code).toBe('RATE_LIMITED');
        expect(result.error.retryAfterMs).toBeGreaterThan(0);
      }
    });
  }
  return accepted;
}

const sum = (values: readonly number[]): number => values.reduce((total, value) => total + value, 0);

/** One handshake from `ip` (X-Forwarded-For from a trusted loopback proxy): its refusal's data, or null when connected. */
async function handshake(node: TestServer, userId: string, ip: string): Promise<{ code: string; retryAfterMs?: number } | null> {
  const socket = node.socket({ auth: { token: await node.token(userId) }, extraHeaders: { 'x-forwarded-for': ip } });
  return new Promise((resolve) => {
    socket.once('session:ready', () => resolve(null));
    socket.once('connect_error', (error) => resolve((error as Error & { data: { code: string; retryAfterMs?: number } }).data));
    socket.connect();
  });
}

describe('limits across two nodes', () => {
  it('handshakes per IP hold in total when a client connects alternately to node A and node B', async () => {
    const LIMIT = 10;
    // Credit: a tenth of 10, i.e. one handshake per node before Redis has counted it.
    const [a, b] = await twoNodes({ limits: { handshakesPerIp: LIMIT, handshakeWindowMs: 3_600_000 } });
    await using _a = a;
    await using _b = b;
    let accepted = 0;
    for (let i = 0; i < 2 * LIMIT; i++) {
      const refusal = await handshake(i % 2 === 0 ? a : b, `h${i}`, '203.0.113.7');
      if (refusal === null) accepted += 1;
      else {
        expect(refusal.code).toBe('RATE_LIMITED');
        expect(refusal.retryAfterMs).toBeGreaterThan(0);
      }
    }
    // Per node this would be 2 * LIMIT; Redis counts every accepted one, each node overshoots by its credit at most.
    expect(accepted).toBeGreaterThanOrEqual(LIMIT);
    expect(accepted).toBeLessThanOrEqual(LIMIT + 2);
    // Another address has its own budget.
    expect(await handshake(a, 'other', '203.0.113.8')).toBeNull();
  });

  it("one user's events are limited across all their sockets on both nodes; one socket still gets exactly its own bucket", async () => {
    const [a, b] = await twoNodes();
    await using _a = a;
    await using _b = b;
    // Ten sockets, five per node: per socket alone they would get 10 * 4 = 40.
    const sockets = [...(await connectMany(a, 'alice', 5)), ...(await connectMany(b, 'alice', 5))];
    const accepted = await syncRounds(sockets, SOCKET_BURST + 2);
    for (const count of accepted) expect(count).toBeLessThanOrEqual(SOCKET_BURST);
    expect(sum(accepted)).toBeGreaterThan(0);
    expect(sum(accepted)).toBeLessThanOrEqual(USER_BURST + 2 * USER_CREDIT);

    // One socket of another user: its own bucket is what stops it, at exactly its burst.
    const [bob] = await connectMany(a, 'bob', 1);
    expect(await syncRounds([bob!], SOCKET_BURST + 2)).toEqual([SOCKET_BURST]);
  });

  it('messages per channel hold across nodes: senders on A and B share the channel rate', async () => {
    // 2 per second, bursts of 4; credit 1 per node.
    const [a, b] = await twoNodes({ features: { chat: { channelRatePerSec: 2 } } });
    await using _a = a;
    await using _b = b;
    const senders = [await a.connect('alice'), await b.connect('bob')];
    for (const socket of senders) expect((await request(socket, 'chat:join', { channelId: 'global:main' })).ok).toBe(true);
    const started = performance.now();
    let accepted = 0;
    for (let i = 0; i < 16; i++) {
      const result = await request(senders[i % 2]!, 'chat:send', { channelId: 'global:main', content: `message ${i}`, clientMsgId: `m-${i}` });
      if (result.ok) accepted += 1;
      else {
        expect(result.error.code).toBe('RATE_LIMITED');
        expect(result.error.retryAfterMs).toBeGreaterThan(0);
      }
    }
    // What refilled while sending counts too: 2 per second.
    const refilled = Math.ceil((2 * (performance.now() - started)) / 1000);
    expect(accepted).toBeGreaterThanOrEqual(4);
    expect(accepted).toBeLessThanOrEqual(4 + 2 + refilled);
  });

  it('while Redis is down each node enforces the full limit on its own and nothing crashes; once Redis is back the limit is shared again', async () => {
    const [a, b] = await twoNodes();
    await using _a = a;
    await using _b = b;
    const carolA = await connectMany(a, 'carol', 5);
    const carolB = await connectMany(b, 'carol', 5);

    await redis().stop();
    await expect.poll(() => a.tavern.redis?.healthy, { timeout: 10_000 }).toBe(false);
    await expect.poll(() => b.tavern.redis?.healthy, { timeout: 10_000 }).toBe(false);
    // The fallback: each node holds the user to the whole per-user limit by itself.
    const [onA, onB] = await Promise.all([syncRounds(carolA, SOCKET_BURST + 2), syncRounds(carolB, SOCKET_BURST + 2)]);
    expect(sum(onA)).toBe(USER_BURST);
    expect(sum(onB)).toBe(USER_BURST);

    await redis().start();
    await expect.poll(() => a.tavern.redis?.healthy, { timeout: 10_000 }).toBe(true);
    await expect.poll(() => b.tavern.redis?.healthy, { timeout: 10_000 }).toBe(true);
    const dave = [...(await connectMany(a, 'dave', 5)), ...(await connectMany(b, 'dave', 5))];
    const accepted = await syncRounds(dave, SOCKET_BURST + 2);
    expect(sum(accepted)).toBeGreaterThan(0);
    // Shared again: below what the two nodes allow alone (2 * USER_BURST).
    expect(sum(accepted)).toBeLessThanOrEqual(USER_BURST + 2 * USER_CREDIT);
  });
});

describe('the cluster-wide limits in the environment', () => {
  it('are read from RATE_LIMIT_USER_FACTOR and RATE_LIMIT_SYNC_MS, with their defaults', () => {
    expect(loadConfig({}).limits).toMatchObject({ userRateFactor: 2, rateLimitSyncMs: 100 });
    expect(loadConfig({ RATE_LIMIT_USER_FACTOR: '1.5', RATE_LIMIT_SYNC_MS: '250' }).limits).toMatchObject({ userRateFactor: 1.5, rateLimitSyncMs: 250 });
    expect(() => loadConfig({ RATE_LIMIT_USER_FACTOR: '0.5' })).toThrow(/RATE_LIMIT_USER_FACTOR/);
  });
});
