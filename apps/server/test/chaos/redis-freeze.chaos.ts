/**
 * Scenario 4: Redis frozen with SIGSTOP for 10 s under cross-node traffic. Readiness fails,
 * memory stays bounded (publishes are skipped, not queued), and everything resumes after
 * SIGCONT without restarting anything.
 */
import { createClient, type TavernClient } from '@tavern/client-sdk';
import { expect, it } from 'vitest';
import { report, startChaosCluster } from './cluster.js';

const CLIENTS = 20;
const FREEZE_MS = 10_000;

it('survives Redis frozen for 10 s', async () => {
  await using cluster = await startChaosCluster();
  const [nodeA, nodeB] = cluster.nodes;
  if (!nodeA || !nodeB) throw new Error('two nodes expected');
  const adminToken = await cluster.token('ops', { roles: ['admin'] });
  const received = new Map<string, Set<string>>();
  const clients: TavernClient[] = [];
  for (let i = 0; i < CLIENTS; i++) {
    const userId = `player-${i}`;
    const client = createClient({ url: cluster.nginx.url, getToken: () => cluster.token(userId), socketOptions: { transports: ['websocket'] } });
    const seen = new Set<string>();
    received.set(userId, seen);
    client.on('system:announcement', (announcement) => seen.add(announcement.id));
    clients.push(client);
  }
  const announce = async (message: string): Promise<string | null> => {
    const response = await fetch(`${nodeA.url}/api/realtime/announce`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
      body: JSON.stringify({ message }),
    });
    return response.ok ? ((await response.json()) as { id: string }).id : null;
  };
  const readyz = async (url: string) => (await fetch(`${url}/readyz`)).status;
  const everyoneGot = (id: string) => [...received.values()].every((seen) => seen.has(id));
  /** Announces once and waits up to `withinMs` for every client to have it. */
  const reachesEveryone = async (message: string, withinMs = 1_000): Promise<boolean> => {
    const id = await announce(message);
    if (id === null) return false;
    const until = Date.now() + withinMs;
    while (!everyoneGot(id) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
    return everyoneGot(id);
  };

  try {
    await expect.poll(() => clients.every((client) => client.state === 'connected'), { timeout: 20_000 }).toBe(true);
    // Cross-node delivery works before the fault (the adapter subscribes shortly after joins).
    await expect.poll(() => reachesEveryone('before'), { timeout: 10_000 }).toBe(true);
    const rssBefore = cluster.rssMb();

    cluster.redis.freeze();
    const frozenAt = Date.now();
    let sentDuringFreeze = 0;
    let peakRss = rssBefore;
    let detectedMs = -1;
    while (Date.now() - frozenAt < FREEZE_MS) {
      if ((await announce(`frozen ${sentDuringFreeze}`)) !== null) sentDuringFreeze++;
      if (detectedMs < 0 && (await readyz(nodeA.url)) === 503 && (await readyz(nodeB.url)) === 503) detectedMs = Date.now() - frozenAt;
      peakRss = cluster.rssMb().map((rss, i) => Math.max(rss, peakRss[i] ?? 0));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    cluster.redis.thaw();
    const thawedAt = Date.now();
    expect(detectedMs).toBeGreaterThanOrEqual(0);

    await expect.poll(async () => (await readyz(nodeA.url)) === 200 && (await readyz(nodeB.url)) === 200, { timeout: 15_000 }).toBe(true);
    await expect.poll(() => reachesEveryone('after'), { timeout: 15_000 }).toBe(true);
    const recoveryMs = Date.now() - thawedAt;
    expect(await Promise.race([nodeA.exited, nodeB.exited, Promise.resolve('running')])).toBe('running');
    const growth = Math.max(...peakRss.map((rss, i) => rss - (rssBefore[i] ?? 0)));
    report('redis-freeze', {
      clients: CLIENTS,
      freezeMs: FREEZE_MS,
      detectedMs,
      announcementsDuringFreeze: sentDuringFreeze,
      peakRssGrowthMb: growth.toFixed(1),
      recoveryMs,
    });
    expect(growth).toBeLessThan(64);
  } finally {
    for (const client of clients) client.close();
  }
});
