/**
 * Issue 19, "the wire contract, read strictly": the admin API's errors are always
 * `{ error: { code, message } }` (an unknown path too), a body nested 20,000 deep is refused
 * like a socket payload instead of overflowing the encoder's stack, and a graceful shutdown
 * ends every session with `session:ended { reason: 'SERVER_SHUTDOWN' }` as PROTOCOL.md says.
 */
import { describe, expect, it } from 'vitest';
import { builtInFeatures, defineFeature } from '../src/index.js';
import { next, request, startTestServer, type ClientSocket } from './support/start-test-server.js';

describe('the admin API on bad requests', () => {
  it('answers an unknown path with the JSON error body, not plain text', async () => {
    await using server = await startTestServer();
    const response = await fetch(`${server.url}/api/realtime/nope`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/application\/json/);
    expect(await response.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'no route GET /api/realtime/nope' } });
  });

  it('refuses a notify whose data nests 20,000 deep with INVALID_PAYLOAD, and keeps serving', async () => {
    await using server = await startTestServer();
    const token = await server.token('ops', { roles: ['admin'] });
    const alice = await server.connect('alice');
    const deep = `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`;
    const body = `{"userIds":["alice"],"type":"t","title":"t","body":"b","data":${deep}}`;
    const post = (text: string) => fetch(`${server.url}/api/realtime/notify`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: text });
    const refused = await post(body);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: { code: 'INVALID_PAYLOAD' } });
    const delivered = next(alice, 'notification:new');
    const ok = await post(JSON.stringify({ userIds: ['alice'], type: 't', title: 'still here', body: 'b', data: { a: { b: 1 } } }));
    expect(ok.status).toBe(200);
    expect(await delivered).toMatchObject({ title: 'still here' });
  });
});

describe('graceful shutdown', () => {
  it('tells every client server:shutdown, then session:ended SERVER_SHUTDOWN, then disconnects', async () => {
    await using server = await startTestServer();
    const alice = await server.connect('alice');
    const order: string[] = [];
    alice.on('server:shutdown', () => order.push('server:shutdown'));
    const ended = next(alice, 'session:ended');
    const gone = new Promise<void>((resolve) => alice.once('disconnect', () => resolve()));
    // The server's own shutdown (the harness's close would disconnect the client first).
    await server.tavern.shutdown();
    expect(await ended).toEqual({ reason: 'SERVER_SHUTDOWN', message: expect.any(String) });
    await gone;
    expect(order).toEqual(['server:shutdown']);
  });

  it('resolves only once what every close started has finished (a slow onDisconnect, 600 sockets in batches)', async () => {
    // A studio's hook whose store write takes a while: the drain must not close the shared parts
    // (Redis) under it. 600 sockets span two of the drain's batches.
    const finished = new Set<string>();
    const slowGoodbye = defineFeature({
      name: 'slow-goodbye',
      create: () => ({
        async onDisconnect(socket) {
          await new Promise((resolve) => setTimeout(resolve, 300));
          finished.add(socket.id);
        },
      }),
    });
    await using server = await startTestServer({ features: [...builtInFeatures, slowGoodbye], config: { limits: { handshakesPerIp: 10_000, engineOpensPerIp: { ratePerSec: 10_000, burst: 10_000 } } } });
    const ids: (string | undefined)[] = [];
    for (let start = 0; start < 600; start += 50) {
      const clients = await Promise.all(Array.from({ length: 50 }, (_, index) => server.connect(`user-${start + index}`)));
      ids.push(...clients.map((client) => client.id));
    }
    await server.tavern.shutdown();
    expect(ids.filter((id) => id !== undefined && !finished.has(id))).toEqual([]);
    expect(finished.size).toBe(600);
  });
});

describe('events a command causes for its sender come after its ack', () => {
  /**
   * What the socket saw, in order: the ack of `event` and the `watched` event. Both are
   * recorded in their callbacks (two packets in one read are handled in one turn, before any
   * promise continuation could record the ack).
   */
  async function orderOf(socket: ClientSocket, watched: string, event: string, payload: unknown): Promise<string[]> {
    const seen: string[] = [];
    const raw = socket as unknown as { on(event: string, listener: () => void): void; emit(event: string, payload: unknown, ack: (result: { ok: boolean }) => void): void };
    raw.on(watched, () => seen.push(watched));
    raw.emit(event, payload, (result) => seen.push(result.ok ? 'ack' : 'refused'));
    await expect.poll(() => seen.length).toBe(2);
    return seen;
  }

  it('lobby:start answers {} and then lobby:started', async () => {
    await using server = await startTestServer();
    const [host, guest] = await Promise.all([server.connect('host'), server.connect('guest')]);
    const created = await request(host, 'lobby:create', { maxPlayers: 4 });
    if (!created.ok) throw new Error('lobby:create failed');
    const { id: lobbyId } = created.data.lobby;
    await request(guest, 'lobby:join', { lobbyId });
    for (const member of [host, guest]) await request(member, 'lobby:ready', { lobbyId, ready: true });
    expect(await orderOf(host, 'lobby:started', 'lobby:start', { lobbyId })).toEqual(['ack', 'lobby:started']);
  });

  it('matchmaking:cancel answers {} and then matchmaking:cancelled', async () => {
    await using server = await startTestServer();
    const alice = await server.connect('alice', { mmr: 1200 });
    const joined = await request(alice, 'matchmaking:join', { mode: 'duel' });
    if (!joined.ok) throw new Error('matchmaking:join failed');
    expect(await orderOf(alice, 'matchmaking:cancelled', 'matchmaking:cancel', { ticketId: joined.data.ticketId })).toEqual(['ack', 'matchmaking:cancelled']);
  });
});
