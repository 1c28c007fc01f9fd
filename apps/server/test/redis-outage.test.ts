import { rooms } from '@tavern/protocol';
import { describe, expect, it } from 'vitest';
import { startRedis } from './support/start-redis.js';
import { startServerProcess } from './support/start-server-process.js';
import { clusterConfig, next, startTestServer, type ClientSocket, type TestServer } from './support/start-test-server.js';

const OUTAGE_MS = 90_000;

let announcementId = 0;
function announce(from: TestServer, userId: string): void {
  from.tavern.realtime.emit(rooms.user(userId), 'system:announcement', { id: `n${announcementId++}`, message: 'ping', priority: 'info', at: Date.now() });
}

/** Resolves true when `socket` receives an announcement within `ms`. */
function receives(socket: ClientSocket, ms: number): Promise<boolean> {
  return Promise.race([next(socket, 'system:announcement', ms).then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms))]).catch(() => false);
}

async function readyz(url: string): Promise<number> {
  return (await fetch(`${url}/readyz`)).status;
}

describe('Redis stopped for 90 s', () => {
  it('keeps both nodes serving locally, reports not ready, and resumes cross-node delivery after', { timeout: OUTAGE_MS + 60_000 }, async () => {
    await using redis = await startRedis();
    await using a = await startTestServer({ config: clusterConfig(redis.url) });
    await using b = await startTestServer({ config: clusterConfig(redis.url) });
    await using process = await startServerProcess({ REDIS_URL: redis.url });
    const aliceOnA = await a.connect('alice');
    const aliceOnB = await b.connect('alice');
    const bobOnA = await a.connect('bob');

    await expect.poll(async () => {
      announce(a, 'alice');
      return receives(aliceOnB, 200);
    }).toBe(true);
    await expect.poll(() => readyz(process.url)).toBe(200);

    await redis.stop();
    const outageEnds = Date.now() + OUTAGE_MS;
    await expect.poll(() => readyz(a.url), { timeout: 10_000 }).toBe(503);
    await expect.poll(() => readyz(process.url), { timeout: 10_000 }).toBe(503);

    // Throughout the outage: local delivery on each node, new local connections, no exits.
    while (Date.now() < outageEnds) {
      const delivered = receives(bobOnA, 2_000);
      announce(a, 'bob');
      expect(await delivered).toBe(true);
      const onB = receives(aliceOnB, 2_000);
      announce(b, 'alice');
      expect(await onB).toBe(true);
      expect(await readyz(b.url)).toBe(503);
      await new Promise((resolve) => setTimeout(resolve, 5_000));
    }
    const carol = await b.connect('carol');
    expect(carol.connected).toBe(true);
    expect(await Promise.race([process.exited, Promise.resolve('running')])).toBe('running');
    expect(aliceOnA.connected && aliceOnB.connected && bobOnA.connected).toBe(true);

    await redis.start();
    await expect.poll(() => readyz(a.url), { timeout: 15_000 }).toBe(200);
    await expect.poll(() => readyz(process.url), { timeout: 15_000 }).toBe(200);
    await expect
      .poll(
        async () => {
          announce(a, 'alice');
          return receives(aliceOnB, 300);
        },
        { timeout: 15_000 },
      )
      .toBe(true);
    // The registry was re-published: both of alice's sockets are known again.
    await expect.poll(async () => (await a.tavern.realtime.getUserSockets('alice')).length, { timeout: 15_000 }).toBe(2);
  });
});
