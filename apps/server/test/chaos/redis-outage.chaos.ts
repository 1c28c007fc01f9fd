/**
 * Scenario 3: Redis stopped for 90 s under chat load and started again. No process exits,
 * /readyz is 503 during the outage, local delivery keeps working (typing between clients
 * of one node), chat sends are refused with UNAVAILABLE (never accepted and lost), and
 * afterwards cross-node delivery and presence recover by themselves while the SDK's resume
 * fills any gap.
 */
import { expect, it } from 'vitest';
import { startChatLoad } from './chat-load.js';
import { report, startChaosCluster } from './cluster.js';

const OUTAGE_MS = 90_000;

it('rides out Redis stopped for 90 s', { timeout: OUTAGE_MS + 90_000 }, async () => {
  // Redis keeps its data through the outage here (a restart with persistence, or a network
  // partition); Redis coming back empty is covered by the SDK's reload test.
  await using cluster = await startChaosCluster({ persistentRedis: true, env: { RATE_LIMITS: JSON.stringify({ 'chat:send': { ratePerSec: 100, burst: 100 } }) } });
  const load = await startChatLoad(cluster, 20, 'global:main');
  const readyz = async (url: string) => (await fetch(`${url}/readyz`)).status;
  try {
    await load.sendRound();
    await cluster.redis.stop();
    const stoppedAt = Date.now();
    let notReadySeen = false;
    let typingDelivered = 0;
    const [first, second] = load.clients;
    second?.on('chat:typing', () => typingDelivered++);
    while (Date.now() - stoppedAt < OUTAGE_MS) {
      await load.sendRound();
      if ((await readyz(cluster.nodes[0]!.url)) === 503 && (await readyz(cluster.nodes[1]!.url)) === 503) notReadySeen = true;
      first?.signal('chat:typing', { channelId: 'global:main', typing: true });
      await new Promise((resolve) => setTimeout(resolve, 3_000));
    }
    expect(notReadySeen).toBe(true);
    for (const node of cluster.nodes) expect(await Promise.race([node.exited, Promise.resolve('running')])).toBe('running');
    await cluster.redis.start();
    const restartedAt = Date.now();
    while ((await readyz(cluster.nodes[0]!.url)) !== 200 || (await readyz(cluster.nodes[1]!.url)) !== 200) {
      if (Date.now() - restartedAt > 20_000) throw new Error('nodes did not become ready again');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const readyAfterMs = Date.now() - restartedAt;
    // Chat works again everywhere; what was accepted reaches everyone once, in order.
    for (let i = 0; i < 3; i++) await load.sendRound();
    const figures = await load.settle(30_000);
    report('redis-outage', { clients: 20, outageMs: OUTAGE_MS, readyAfterMs, typingDuringOutage: typingDelivered, ...figures });
    expect(figures.lost).toBe(0);
    expect(figures.duplicated).toBe(0);
    expect(figures.accepted).toBeGreaterThanOrEqual(20 * 4);
  } finally {
    load.close();
  }
});
