/**
 * Sessions are resumable while they are live, not only after a clean disconnect: a node that
 * dies without running its disconnect handlers (SIGKILL, see chaos/node-kill.chaos.ts) leaves
 * its clients' sessions in Redis, held for the token's lifetime plus the resume window.
 */
import { describe, expect, it } from 'vitest';
import { REDIS_BACKENDS, useRedisBackend } from './support/redis-connections.js';
import { io } from 'socket.io-client';
import { startServerProcess } from './support/start-server-process.js';
import { clusterConfig, next, request, startTestServer, type ClientSocket } from './support/start-test-server.js';

const RESUME_MS = 120_000;

describe.each(REDIS_BACKENDS)('live sessions are held in Redis (%s)', (backend) => {
  const redis = useRedisBackend(backend);

  it('from connect, for the token lifetime plus the resume window; auth:refresh extends it', async () => {
    await using server = await startTestServer({ config: clusterConfig(redis().url, { auth: { sessionResumeMs: RESUME_MS } }) });
    const alice = await server.connect('alice', { ttlSeconds: 60 });
    const key = `tavern:session:${alice.ready.sessionId}`;
    const client = redis().client();
    await expect.poll(() => client.get(key), { timeout: 5_000 }).toBe('alice');
    const held = await client.pttl(key);
    expect(held).toBeGreaterThan(RESUME_MS + 50_000);
    expect(held).toBeLessThanOrEqual(RESUME_MS + 60_000);

    const refreshed = await request(alice, 'auth:refresh', { token: await server.token('alice', { ttlSeconds: 3_600 }) });
    expect(refreshed.ok).toBe(true);
    await expect.poll(() => client.pttl(key), { timeout: 5_000 }).toBeGreaterThan(RESUME_MS + 3_500_000);
  });

  it('a client of a node that vanished resumes its session on another node', async () => {
    const config = clusterConfig(redis().url, { auth: { sessionResumeMs: RESUME_MS } });
    await using survivor = await startTestServer({ config });
    const vanished = await startTestServer({ config });
    const before = await vanished.connect('bob');
    const client = redis().client();
    await expect.poll(() => client.get(`tavern:session:${before.ready.sessionId}`), { timeout: 5_000 }).toBe('bob');
    // What a SIGKILL leaves behind: the session key, and no disconnect handler ran to save it.
    // (Closing the in-process node would run them; this proves the key was there before.)
    const after = await survivor.connect('bob', { auth: { sessionId: before.ready.sessionId } });
    expect(after.ready).toMatchObject({ sessionId: before.ready.sessionId, recovered: true });
    await vanished.close();
  });

  it('a client of a SIGKILLed node process resumes its session on another node', async () => {
    await using survivor = await startTestServer({ config: clusterConfig(redis().url, { auth: { sessionResumeMs: RESUME_MS } }) });
    await using killed = await startServerProcess({ REDIS_URL: redis().url, REDIS_KEY_PREFIX: 'tavern:', SESSION_RESUME_MS: String(RESUME_MS) });
    const socket: ClientSocket = io(killed.url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token: await killed.token('carol') } });
    const before = await next(socket, 'session:ready');
    const client = redis().client();
    await expect.poll(() => client.get(`tavern:session:${before.sessionId}`), { timeout: 5_000 }).toBe('carol');
    killed.kill('SIGKILL');
    await killed.exited;
    socket.close();
    const after = await survivor.connect('carol', { auth: { sessionId: before.sessionId } });
    expect(after.ready).toMatchObject({ sessionId: before.sessionId, recovered: true });
  });
});
