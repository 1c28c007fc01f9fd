import { createClient, type TavernClient } from '@tavern/client-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNginx, type TestNginx } from './support/start-nginx.js';
import { startRedis, type TestRedis } from './support/start-redis.js';
import { startServerProcess, type ServerProcess } from './support/start-server-process.js';

async function connections(node: ServerProcess): Promise<number> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  const match = /^tavern_connections\{[^}]*\} (\d+)/m.exec(text);
  return Number(match?.[1] ?? 0);
}

describe('two nodes behind nginx', () => {
  let redis: TestRedis | undefined;
  let nodes: ServerProcess[] = [];
  let nginx: TestNginx | undefined;

  beforeAll(async () => {
    const { url } = (redis = await startRedis());
    nodes = await Promise.all([1, 2].map(() => startServerProcess({ REDIS_URL: url, TRUST_PROXY: 'loopback' })));
    nginx = await startNginx(nodes.map((node) => node.port));
  });

  afterAll(async () => {
    await nginx?.[Symbol.asyncDispose]();
    for (const node of nodes ?? []) await node[Symbol.asyncDispose]();
    await redis?.[Symbol.asyncDispose]();
  });

  it.each([
    ['long-polling only', ['polling']],
    ['WebSocket only', ['websocket']],
    ['polling upgraded to WebSocket', ['polling', 'websocket']],
  ] as const)('serves SDK clients over %s, spread over both nodes', async (_label, transports) => {
    const [first] = nodes;
    if (!first) throw new Error('no nodes');
    const clients: TavernClient[] = [];
    try {
      for (let i = 0; i < 16; i++) {
        clients.push(
          createClient({
            url: nginx!.url,
            getToken: () => first.token(`user-${i}`),
            socketOptions: { transports: [...transports] },
            reconnect: { initialDelayMs: 0 },
          }),
        );
      }
      await expect.poll(() => clients.every((client) => client.state === 'connected'), { timeout: 15_000 }).toBe(true);
      // Several round trips each: with broken affinity, polling requests would reach a node
      // that does not know the session and fail.
      for (let round = 0; round < 3; round++) {
        const results = await Promise.all(clients.map((client, i) => client.request('time:sync', { clientTime: round * 100 + i })));
        expect(results.every((result) => result.ok)).toBe(true);
      }
      const perNode = await Promise.all(nodes.map(connections));
      expect(perNode.reduce((sum, count) => sum + count, 0)).toBe(16);
      expect(Math.min(...perNode)).toBeGreaterThan(0);
    } finally {
      for (const client of clients) client.close();
    }
  });
});
