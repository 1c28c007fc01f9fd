/**
 * Scenario 5: 500 clients connect at once through nginx. No handshake is lost, and the per-IP
 * handshake limit counts each real client address (X-Forwarded-For is set by nginx, trusted
 * only from it, and a client cannot forge it).
 */
import { io, type Socket } from 'socket.io-client';
import { expect, it } from 'vitest';
import { report, startChaosCluster } from './cluster.js';

const ADDRESSES = 50;
const PER_ADDRESS = 10;
const LIMIT = 20;

/** `ready`, or the connect_error code. */
type Outcome = string;

function connectFrom(url: string, localAddress: string, token: string, headers: Record<string, string> = {}): Promise<{ socket: Socket; outcome: Outcome }> {
  const socket = io(url, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    auth: { token },
    extraHeaders: headers,
    localAddress,
  } as Parameters<typeof io>[1]);
  return new Promise((resolve) => {
    socket.once('session:ready', () => resolve({ socket, outcome: 'ready' }));
    socket.once('connect_error', (error) => resolve({ socket, outcome: (error as Error & { data?: { code?: string } }).data?.code ?? error.message }));
  });
}

it('takes 500 simultaneous handshakes and limits per real client address', async () => {
  await using cluster = await startChaosCluster({ env: { HANDSHAKES_PER_IP: String(LIMIT), HANDSHAKE_WINDOW_MS: '60000' } });
  const sockets: Socket[] = [];
  try {
    const tokens = await Promise.all(Array.from({ length: ADDRESSES * PER_ADDRESS }, (_, i) => cluster.token(`storm-${i}`)));
    const started = Date.now();
    const results = await Promise.all(
      tokens.map((token, i) => connectFrom(cluster.nginx.url, `127.0.1.${1 + Math.floor(i / PER_ADDRESS)}`, token)),
    );
    const elapsedMs = Date.now() - started;
    for (const { socket } of results) sockets.push(socket);
    const ready = results.filter((result) => result.outcome === 'ready').length;

    // One address past the limit, forging X-Forwarded-For to look like many: nginx overwrites it.
    const forged = await Promise.all(
      Array.from({ length: LIMIT + 5 }, async (_, i) =>
        connectFrom(cluster.nginx.url, '127.0.2.1', await cluster.token(`forger-${i}`), { 'x-forwarded-for': `10.0.0.${i}` }),
      ),
    );
    for (const { socket } of forged) sockets.push(socket);
    const forgedReady = forged.filter((result) => result.outcome === 'ready').length;
    const limited = forged.filter((result) => result.outcome === 'RATE_LIMITED').length;

    report('handshake-storm', { clients: tokens.length, ready, elapsedMs, handshakesPerSec: Math.round((tokens.length * 1000) / elapsedMs), forgedReady, limited });
    expect(ready).toBe(tokens.length);
    expect(forgedReady).toBe(LIMIT);
    expect(limited).toBe(5);
  } finally {
    for (const socket of sockets) socket.close();
  }
});
