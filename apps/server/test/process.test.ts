import { io } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import { startServerProcess } from './support/start-server-process.js';
import { next, type ClientSocket } from './support/start-test-server.js';

describe('the server process', () => {
  it('on SIGTERM tells clients server:shutdown and exits 0 within 10 s', async () => {
    await using node = await startServerProcess();
    const sockets: ClientSocket[] = [];
    for (const userId of ['alice', 'bob']) {
      const socket: ClientSocket = io(node.url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token: await node.token(userId) } });
      await next(socket, 'session:ready');
      sockets.push(socket);
    }
    const notices = sockets.map((socket) => next(socket, 'server:shutdown'));
    node.kill('SIGTERM');
    for (const notice of await Promise.all(notices)) {
      expect(notice.reconnectAfterMs).toBeGreaterThanOrEqual(1_000);
    }
    const code = await Promise.race([node.exited, new Promise((resolve) => setTimeout(() => resolve('still running after 10 s'), 10_000))]);
    expect(code).toBe(0);
    for (const socket of sockets) socket.close();
  });

  it('refuses to start with a bad variable and names it', async () => {
    await expect(startServerProcess({ PORT: 'eighty' })).rejects.toThrow(/PORT/);
    await expect(startServerProcess({ NODE_ENV: 'production', JWT_SECRET: '' })).rejects.toThrow(/JWT_SECRET/);
  });

  it('in dev mode serves POST /dev/token and warns loudly', async () => {
    await using node = await startServerProcess({ JWT_SECRET: '', NODE_ENV: 'development' });
    expect(node.output()).toMatch(/DEV MODE/);
    const response = await fetch(`${node.url}/dev/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'alice', name: 'Alice' }),
    });
    const { token } = (await response.json()) as { token: string };
    const socket: ClientSocket = io(node.url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token } });
    expect(await next(socket, 'session:ready')).toMatchObject({ userId: 'alice', name: 'Alice' });
    socket.close();
    expect((await fetch(`${node.url}/dev/token`, { method: 'POST', body: '{"userId":""}' })).status).toBe(400);
  });
});
