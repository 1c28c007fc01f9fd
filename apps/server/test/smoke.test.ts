import { describe, expect, it } from 'vitest';
import { request, startTestServer } from './support/start-test-server.js';

describe('smoke', () => {
  it('connects and syncs time', async () => {
    await using server = await startTestServer();
    const alice = await server.connect('alice');
    expect(alice.ready.userId).toBe('alice');
    const result = await request(alice, 'time:sync', { clientTime: 1 });
    expect(result).toMatchObject({ ok: true, data: { clientTime: 1 } });
  });

  it('serves long-polling clients: the HTTP routes do not answer Engine.IO’s path', async () => {
    await using server = await startTestServer();
    const alice = await server.connect('alice', { io: { transports: ['polling'] } });
    expect((await request(alice, 'time:sync', { clientTime: 2 })).ok).toBe(true);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});
