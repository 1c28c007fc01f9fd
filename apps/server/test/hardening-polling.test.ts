/**
 * Issue 19, "unauthenticated long-polling sessions": 5,000 `GET /socket.io/?EIO=4&transport=polling`
 * that never poll again were all accepted and held 36 to 41 s. New Engine.IO sessions are now
 * admitted per client address (a token bucket, and a cap on those not yet connected), and a
 * session that has not completed the authenticated connect is closed at the connect timeout,
 * whatever its transport, at once.
 */
import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../src/env.js';
import { request, startTestServer, type TestServer } from './support/start-test-server.js';

/** A new polling session, as a raw GET that never polls again: its status and body. */
async function openPolling(server: TestServer, forwardedFor?: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`, {
    ...(forwardedFor !== undefined && { headers: { 'x-forwarded-for': forwardedFor } }),
  });
  return { status: response.status, body: await response.text() };
}

/** A new WebSocket session that never sends a Socket.IO CONNECT; resolves once it is open. */
function openWebSocket(server: TestServer): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const upgrade = httpRequest(`${server.url}/socket.io/?EIO=4&transport=websocket`, {
      headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' },
    });
    upgrade.once('upgrade', (_response, socket) => {
      // The server ends it at the deadline; a reset then is expected, not a failure.
      socket.on('error', () => socket.destroy());
      resolve(socket);
    });
    upgrade.once('response', (response) => reject(new Error(`upgrade refused with HTTP ${response.statusCode}`)));
    upgrade.once('error', reject);
    upgrade.end();
  });
}

async function capRefusals(server: TestServer, cap: string): Promise<number> {
  const { values } = await server.tavern.metrics.capRefusals.get();
  return values.find((value) => value.labels['cap'] === cap)?.value ?? 0;
}

const opened = { status: 200, body: expect.stringMatching(/^0\{"sid":/) };

describe('new Engine.IO sessions per address', () => {
  it('refuses polling opens beyond the per-IP bucket with a readable Engine.IO error, while another address connects', async () => {
    await using server = await startTestServer({
      config: { trustProxy: ['loopback'], limits: { engineOpensPerIp: { ratePerSec: 0.01, burst: 3 } } },
    });
    const attacker = '203.0.113.7';
    for (let i = 0; i < 3; i++) expect(await openPolling(server, attacker)).toEqual(opened);
    const refused = await openPolling(server, attacker);
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body)).toEqual({ code: 4, message: expect.stringMatching(/^RATE_LIMITED: too many new connections from this address, retry in \d+ ms$/) });
    expect(await capRefusals(server, 'engine_opens_per_ip')).toBe(1);

    // A player behind another address, over polling and then the upgrade (which carries the sid and is no new session).
    const player = await server.connect('player', { io: { transports: ['polling', 'websocket'], extraHeaders: { 'x-forwarded-for': '198.51.100.2' } } });
    expect(player.ready.userId).toBe('player');
  });

  it('refuses opens beyond the per-IP cap of sessions not yet connected, and admits again once they are closed', async () => {
    await using server = await startTestServer({ config: { limits: { enginePendingPerIp: 2, connectTimeoutMs: 1_000 } } });
    expect(await openPolling(server)).toEqual(opened);
    const webSocket = await openWebSocket(server);
    const refused = await openPolling(server);
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body)).toEqual({ code: 4, message: 'LIMIT_EXCEEDED: at most 2 connections per address may be waiting to authenticate' });
    expect(await capRefusals(server, 'engine_pending_per_ip')).toBe(1);

    await vi.waitFor(() => expect(server.tavern.io.engine.clientsCount).toBe(0), { timeout: 3_000, interval: 20 });
    expect(await openPolling(server)).toEqual(opened);
    webSocket.destroy();
  });

  it('holds the cap against opens pipelined in one write, which Node hands over in one turn', async () => {
    await using server = await startTestServer({ config: { limits: { enginePendingPerIp: 2 } } });
    const connection = connect(server.port, '127.0.0.1');
    await once(connection, 'connect');
    let received = '';
    connection.on('data', (chunk: Buffer) => (received += chunk.toString()));
    connection.write('GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'.repeat(6));
    const statuses = () => [...received.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((match) => match[1]);
    await expect.poll(statuses, { timeout: 3_000, interval: 20 }).toHaveLength(6);
    expect(statuses()).toEqual(['200', '200', '403', '403', '403', '403']);
    connection.destroy();
  });

  it('gives the place of an admitted request back when Engine.IO then refuses its handshake', async () => {
    await using server = await startTestServer({ config: { limits: { enginePendingPerIp: 1 } } });
    // EIO=3 passes allowRequest and is refused by the handshake after it (allowEIO3 is off).
    for (let i = 0; i < 2; i++) {
      const response = await fetch(`${server.url}/socket.io/?EIO=3&transport=polling`);
      expect(response.status).toBe(400);
      await response.body?.cancel();
    }
    expect(await openPolling(server)).toEqual(opened);
    // The one place is the real session's now.
    expect((await openPolling(server)).status).toBe(403);
  });
});

describe('sessions that never connect', () => {
  it('are closed at the connect timeout, polling and WebSocket alike, and the engine holds no client after', async () => {
    await using server = await startTestServer({ config: { limits: { connectTimeoutMs: 500 } } });
    const sockets = await Promise.all([openWebSocket(server), openWebSocket(server)]);
    for (let i = 0; i < 3; i++) expect(await openPolling(server)).toEqual(opened);
    expect(server.tavern.io.engine.clientsCount).toBe(5);
    // Socket.IO's own timeout would leave the polling sessions 30 s more, waiting for a poll.
    await vi.waitFor(() => expect(server.tavern.io.engine.clientsCount).toBe(0), { timeout: 3_000, interval: 20 });
    for (const socket of sockets) socket.destroy();
  });

  it('leave authenticated clients connected: the deadline ends only the session that never connected', async () => {
    await using server = await startTestServer({ config: { limits: { enginePendingPerIp: 1, connectTimeoutMs: 500 } } });
    // Each connect frees its place in the cap, so the second can open and the idle session too.
    const alice = await server.connect('alice', { io: { transports: ['polling', 'websocket'] } });
    const bob = await server.connect('bob');
    expect(await openPolling(server)).toEqual(opened);
    expect(server.tavern.io.engine.clientsCount).toBe(3);

    await vi.waitFor(() => expect(server.tavern.io.engine.clientsCount).toBe(2), { timeout: 3_000, interval: 20 });
    expect([alice.connected, bob.connected]).toEqual([true, true]);
    expect(await request(alice, 'presence:get', { userIds: ['bob'] })).toMatchObject({ ok: true });
  });
});

describe('the admission limits in the environment', () => {
  it('are read from ENGINE_OPENS_PER_IP_PER_SEC, ENGINE_OPENS_BURST_PER_IP, ENGINE_PENDING_PER_IP and CONNECT_TIMEOUT_MS, with NAT-friendly defaults', () => {
    expect(loadConfig({}).limits).toMatchObject({ engineOpensPerIp: { ratePerSec: 5, burst: 60 }, enginePendingPerIp: 50, connectTimeoutMs: 10_000 });
    const env = { ENGINE_OPENS_PER_IP_PER_SEC: '2', ENGINE_OPENS_BURST_PER_IP: '20', ENGINE_PENDING_PER_IP: '8', CONNECT_TIMEOUT_MS: '5000' };
    expect(loadConfig(env).limits).toMatchObject({ engineOpensPerIp: { ratePerSec: 2, burst: 20 }, enginePendingPerIp: 8, connectTimeoutMs: 5_000 });
  });
});
