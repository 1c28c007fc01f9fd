import { rooms } from '@tavern/protocol';
import { describe, expect, it } from 'vitest';
import { queuedBytes } from '../src/transport/slow-consumer.js';
import { request, startTestServer } from './support/start-test-server.js';

const MAX_BYTES = 256 * 1024;

describe('a client that stops reading', () => {
  it('is disconnected before the server holds more than the configured queue for it', async () => {
    await using server = await startTestServer({ config: { limits: { slowConsumerMaxBytes: MAX_BYTES } } });
    const reader = await server.connect('alice');
    const stalled = await server.connect('mallory');
    // Stop reading from the TCP socket: the kernel buffers fill, then the server's queue grows.
    const transport = (stalled as unknown as { io: { engine: { transport: { ws: { _socket: { pause(): void } } } } } }).io.engine.transport;
    transport.ws._socket.pause();

    const victim = [...server.tavern.io.of('/').sockets.values()].find((socket) => socket.data.user.userId === 'mallory');
    if (!victim) throw new Error('no server socket for mallory');
    const cut = new Promise<void>((resolve) => victim.once('disconnect', () => resolve()));
    const ws = (victim.conn as unknown as { transport: { socket: { readyState: number } } }).transport.socket;
    const OPEN = 1;
    let disconnected = false;
    void cut.then(() => (disconnected = true));

    const message = 'x'.repeat(2_000);
    const packetBytes = 2_200;
    let peak = 0;
    for (let i = 0; i < 20_000 && !disconnected; i++) {
      server.tavern.realtime.emit(rooms.user('mallory'), 'system:announcement', { id: `a${i}`, message, priority: 'info', at: Date.now() });
      // Until the guard cuts the connection (terminating its WebSocket), nothing may exceed the limit.
      if (ws.readyState === OPEN) peak = Math.max(peak, queuedBytes(victim));
      // Let sockets flush and timers run between bursts, as a live server would.
      if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await cut;
    expect(queuedBytes(victim)).toBe(0);
    expect(peak).toBeLessThanOrEqual(MAX_BYTES + packetBytes);
    expect(await server.tavern.metrics.slowConsumerDisconnects.get()).toMatchObject({ values: [{ value: 1 }] });
    expect((await request(reader, 'time:sync', { clientTime: 1 })).ok).toBe(true);
  });
});
