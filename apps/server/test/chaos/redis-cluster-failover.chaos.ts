/**
 * Scenario: a Redis Cluster (3 masters, 1 replica each) under 2 server processes behind nginx,
 * and the master owning `global:main` SIGKILLed while 20 SDK clients chat there. Its replica
 * takes over, the nodes carry on without a restart, sends meanwhile are refused with
 * UNAVAILABLE (never accepted and lost), and every client ends with every accepted message
 * exactly once, in order. What asynchronous replication may lose is counted as `lost`
 * (see docs/runbook.md).
 */
import { expect, it } from 'vitest';
import { keySlot } from '../../src/platform/key-slot.js';
import { startNginx } from '../support/start-nginx.js';
import { startRedisCluster } from '../support/start-redis-cluster.js';
import { startServerProcess } from '../support/start-server-process.js';
import { startChatLoad } from './chat-load.js';
import { report } from './cluster.js';

const CLIENTS = 20;

it('rides out the failover of the master owning the channel', async () => {
  await using redis = await startRedisCluster();
  const env = {
    REDIS_URL: redis.url,
    TRUST_PROXY: 'loopback',
    HANDSHAKES_PER_IP: '100000',
    ENGINE_OPENS_PER_IP_PER_SEC: '100000',
    ENGINE_OPENS_BURST_PER_IP: '100000',
    ENGINE_PENDING_PER_IP: '100000',
    RATE_LIMITS: JSON.stringify({ 'chat:send': { ratePerSec: 100, burst: 100 } }),
  };
  await using first = await startServerProcess(env);
  await using second = await startServerProcess(env);
  await using nginx = await startNginx([first.port, second.port]);
  const load = await startChatLoad({ nginx, token: (userId, claims) => first.token(userId, claims) }, CLIENTS, 'global:main');
  try {
    for (let i = 0; i < 3; i++) await load.sendRound();
    const killedAt = Date.now();
    const failover = redis.killMasterOf(keySlot('tavern:chat:{global:main}:seq'));
    // Keep chatting through the failover, at a pace the channel's rate limit accepts.
    while (Date.now() - killedAt < 6_000) {
      await load.sendRound();
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const { failoverMs } = await failover;
    for (let i = 0; i < 3; i++) await load.sendRound();
    const figures = await load.settle(30_000);
    report('redis-cluster-failover', { clients: CLIENTS, failoverMs, ...figures });
    for (const node of [first, second]) expect(await Promise.race([node.exited, Promise.resolve('running')])).toBe('running');
    expect(figures.duplicated).toBe(0);
    expect(figures.outOfOrder).toBe(0);
    expect(figures.accepted).toBeGreaterThanOrEqual(CLIENTS * 6);
  } finally {
    load.close();
  }
});
