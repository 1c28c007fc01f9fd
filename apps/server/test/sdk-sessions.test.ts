import { createClient, SessionTracker, type Lobby, type PokerSession } from '@tavern/client-sdk';
import { describe, expect, it } from 'vitest';
import { request, startTestServer } from './support/start-test-server.js';

describe('SDK session tracking', () => {
  it('re-subscribes lobbies and poker sessions after a reconnect and hands the app the fresh state', async () => {
    await using server = await startTestServer();
    const host = await server.connect('host');
    const client = createClient({ url: server.url, getToken: () => server.token('guest'), reconnect: { initialDelayMs: 0, jitter: 0 }, socketOptions: { transports: ['websocket'] } });
    try {
      await expect.poll(() => client.state).toBe('connected');
      const created = await request(host, 'lobby:create', { maxPlayers: 4 });
      if (!created.ok) throw new Error('lobby');
      const lobbyId = created.data.lobby.id;
      await client.request('lobby:join', { lobbyId });
      await request(host, 'poker:join', { sessionId: 'planning' });
      const sessions = new SessionTracker(client);
      const lobbies: Lobby[] = [];
      const tables: PokerSession[] = [];
      await sessions.lobby(lobbyId, (lobby) => lobbies.push(lobby));
      await sessions.poker('planning', { name: 'Guest' }, (session) => tables.push(session));
      expect(lobbies.at(-1)?.members.map((member) => member.userId)).toEqual(['host', 'guest']);

      // Drop the transport; while the guest is away the lobby and the table change.
      const dropped = new Promise<void>((resolve) => client.socket.once('disconnect', () => resolve()));
      (client.socket.io.engine as unknown as { transport: { ws: { _socket: { destroy(): void } } } }).transport.ws._socket.destroy();
      await dropped;
      await request(host, 'lobby:settings', { lobbyId, settings: { map: 'harbor' } });
      await request(host, 'poker:story', { sessionId: 'planning', title: 'While you were away' });
      await expect.poll(() => lobbies.at(-1)?.settings['map']).toBe('harbor');
      await expect.poll(() => tables.at(-1)?.story?.title).toBe('While you were away');
      expect(tables.at(-1)?.players.find((player) => player.id === 'guest')).toMatchObject({ connected: true, name: 'Guest' });
      sessions.dispose();
    } finally {
      client.close();
    }
  });
});
