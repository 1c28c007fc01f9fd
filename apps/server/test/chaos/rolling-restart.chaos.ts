/**
 * Scenario 2: rolling restart of both nodes (SIGTERM, wait for exit, start again) under chat
 * load: 0 lost, 0 duplicated, and reconnects spread by the jittered `reconnectAfterMs`
 * instead of arriving in one storm.
 */
import { expect, it } from 'vitest';
import { startChatLoad } from './chat-load.js';
import { report, startChaosCluster } from './cluster.js';

it('loses nothing across a rolling restart, with reconnects spread out', { timeout: 180_000 }, async () => {
  await using cluster = await startChaosCluster({ env: { RATE_LIMITS: JSON.stringify({ 'chat:send': { ratePerSec: 100, burst: 100 } }) } });
  const load = await startChatLoad(cluster, 50, 'global:main');
  try {
    await load.sendRound();
    for (const index of [0, 1]) {
      const node = cluster.nodes[index]!;
      const before = load.reconnectTimes.length;
      const stoppedAt = Date.now();
      node.kill('SIGTERM');
      const during = load.sendRound();
      expect(await node.exited).toBe(0);
      await cluster.restart(index);
      await during;
      // A restarted node comes back in a few seconds (a tsx start on a busy CI core).
      await load.waitAllConnected(45_000);
      await load.sendRound();
      const times = load.reconnectTimes.slice(before);
      const spreadMs = times.length > 1 ? Math.max(...times) - Math.min(...times) : 0;
      report('rolling-restart', { node: index, reconnects: times.length, spreadMs, firstReconnectAfterMs: times.length ? Math.min(...times) - stoppedAt : 0 });
      // The node told its clients to come back 1 s + 0..4 s later, each at its own moment.
      if (times.length > 5) expect(spreadMs).toBeGreaterThan(1_000);
    }
    const figures = await load.settle(20_000);
    report('rolling-restart', { clients: 50, ...figures });
    expect(figures.lost).toBe(0);
    expect(figures.duplicated).toBe(0);
    expect(figures.outOfOrder).toBe(0);
  } finally {
    load.close();
  }
});
