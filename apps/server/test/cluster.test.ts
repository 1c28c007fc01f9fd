import { rooms } from '@tavern/protocol';
import { describe, expect, it } from 'vitest';
import { REDIS_BACKENDS, useRedisBackend } from './support/redis-connections.js';
import { startServerProcess } from './support/start-server-process.js';
import { clusterConfig, next, startTestServer } from './support/start-test-server.js';
import { io } from 'socket.io-client';

describe.each(REDIS_BACKENDS)('two nodes over Redis (%s)', (backend) => {
  const redis = useRedisBackend(backend);

  it('emitToUser on node A reaches the socket on node B; presence of sockets is cluster-wide', async () => {
    await using a = await startTestServer({ config: clusterConfig(redis().url) });
    await using b = await startTestServer({ config: clusterConfig(redis().url) });
    const onA = await a.connect('alice');
    const onB = await b.connect('alice');
    const announced = next(onB, 'system:announcement');
    // The adapter subscribes to the user room's channel when the socket joins it.
    await expect.poll(async () => {
      a.tavern.realtime.emit(rooms.user('alice'), 'system:announcement', { id: 'a1', message: 'hi', priority: 'info', at: Date.now() });
      return Promise.race([announced.then(() => true), new Promise((r) => setTimeout(() => r(false), 100))]);
    }).toBe(true);
    expect(await a.tavern.realtime.isUserOnline('alice')).toBe(true);
    const sockets = await a.tavern.realtime.getUserSockets('alice');
    expect(sockets.map((entry) => entry.socketId).sort()).toEqual([onA.id, onB.id].sort());
    onB.disconnect();
    await expect.poll(async () => (await a.tavern.realtime.getUserSockets('alice')).length).toBe(1);
  });

  it('a server process over Redis serves a token signed with the shared secret', async () => {
    await using node = await startServerProcess({ REDIS_URL: redis().url });
    const socket = io(node.url, { transports: ['websocket'], auth: { token: await node.token('bob') }, forceNew: true });
    const ready = await next(socket as never, 'session:ready');
    expect(ready.userId).toBe('bob');
    socket.disconnect();
  });
});
