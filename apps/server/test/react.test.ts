// @vitest-environment happy-dom
/**
 * The React bindings against a real server: each hook renders in a DOM (happy-dom) with a
 * real SDK client, while plain sockets play the other users.
 */
import { createClient, type TavernClient } from '@tavern/client-sdk';
import { TavernProvider, useChannel, useConnectionState, useLobby, usePokerSession, usePresence } from '@tavern/client-sdk/react';
import { act, renderHook, waitFor } from '@testing-library/react';
import { createElement, type ReactNode } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { next, request, startTestServer, type TestServer } from './support/start-test-server.js';

const clients: TavernClient[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.close();
});

function clientFor(server: TestServer, userId: string, name = userId): TavernClient {
  const client = createClient({
    url: server.url,
    getToken: () => server.token(userId, { name }),
    reconnect: { initialDelayMs: 0, jitter: 0 },
    socketOptions: { transports: ['websocket'] },
  });
  clients.push(client);
  return client;
}

function wrapperFor(client: TavernClient) {
  return ({ children }: { children?: ReactNode }) => createElement(TavernProvider, { client }, children);
}

/** Cuts the client's transport the way a network drop does; the SDK reconnects by itself. */
function dropTransport(client: TavernClient): void {
  (client.socket.io.engine as unknown as { transport: { ws: { _socket: { destroy(): void } } } }).transport.ws._socket.destroy();
}

describe('React bindings', () => {
  it('useConnectionState follows the connection through a drop and back', async () => {
    await using server = await startTestServer();
    const client = clientFor(server, 'alice');
    const seen: string[] = [];
    const { result } = renderHook(
      () => {
        const state = useConnectionState();
        if (seen.at(-1) !== state) seen.push(state);
        return state;
      },
      { wrapper: wrapperFor(client) },
    );
    await waitFor(() => expect(result.current).toBe('connected'));
    act(() => dropTransport(client));
    await waitFor(() => expect(seen).toContain('reconnecting'));
    await waitFor(() => expect(result.current).toBe('connected'));
    expect(seen).toEqual(['connecting', 'connected', 'reconnecting', 'connected']);
  });

  it('useChannel shows history, live messages, edits, deletions and typing, and resumes after a drop', async () => {
    await using server = await startTestServer();
    const bob = await server.connect('bob', { name: 'Bob' });
    await request(bob, 'chat:join', { channelId: 'global:main' });
    const before = await request(bob, 'chat:send', { channelId: 'global:main', content: 'before you came', clientMsgId: 'b1' });
    if (!before.ok) throw new Error('send');

    const client = clientFor(server, 'alice', 'Alice');
    const { result } = renderHook(() => useChannel('global:main'), { wrapper: wrapperFor(client) });
    await waitFor(() => expect(result.current.joined).toBe(true));
    expect(result.current.messages.map((m) => m.content)).toEqual(['before you came']);

    // Live, both ways.
    await request(bob, 'chat:send', { channelId: 'global:main', content: 'hello alice', clientMsgId: 'b2' });
    await waitFor(() => expect(result.current.messages.map((m) => m.content)).toEqual(['before you came', 'hello alice']));
    const incoming = next(bob, 'chat:message');
    const sent = await act(() => result.current.send('hi bob'));
    expect(sent.ok).toBe(true);
    expect((await incoming).content).toBe('hi bob');
    await waitFor(() => expect(result.current.messages.at(-1)?.content).toBe('hi bob'));

    // Typing indicators of others, ended by the server's expiry or by `typing: false`.
    bob.emit('chat:typing', { channelId: 'global:main', typing: true });
    await waitFor(() => expect(result.current.typingUsers).toEqual([{ userId: 'bob', name: 'Bob' }]));
    bob.emit('chat:typing', { channelId: 'global:main', typing: false });
    await waitFor(() => expect(result.current.typingUsers).toEqual([]));
    // And this user's own keystrokes reach the others.
    const typing = next(bob, 'chat:typing');
    act(() => result.current.keystroke());
    expect(await typing).toMatchObject({ userId: 'alice', typing: true });

    await request(bob, 'chat:edit', { channelId: 'global:main', messageId: before.data.message.id, content: 'edited' });
    await waitFor(() => expect(result.current.messages[0]?.content).toBe('edited'));
    await request(bob, 'chat:delete', { channelId: 'global:main', messageId: before.data.message.id });
    await waitFor(() => expect(result.current.messages.map((m) => m.content)).toEqual(['hello alice', 'hi bob']));

    // What is said while the connection is down arrives once, in order, after it is back.
    const down = new Promise<void>((resolve) => client.socket.once('disconnect', () => resolve()));
    act(() => dropTransport(client));
    await down;
    await request(bob, 'chat:send', { channelId: 'global:main', content: 'while you were away', clientMsgId: 'b3' });
    await waitFor(() => expect(result.current.messages.map((m) => m.content)).toEqual(['hello alice', 'hi bob', 'while you were away']));
    await request(bob, 'chat:send', { channelId: 'global:main', content: 'welcome back', clientMsgId: 'b4' });
    await waitFor(() => expect(result.current.messages.at(-1)?.content).toBe('welcome back'));
    expect(result.current.messages.map((m) => m.seq)).toEqual([...new Set(result.current.messages.map((m) => m.seq))].sort((a, b) => a - b));
  });

  it('useChannel reports a channel it may not join', async () => {
    await using server = await startTestServer();
    const client = clientFor(server, 'alice');
    const { result } = renderHook(() => useChannel('dm:bob:carol'), { wrapper: wrapperFor(client) });
    await waitFor(() => expect(result.current.error?.code).toBe('FORBIDDEN'));
    expect(result.current.joined).toBe(false);
  });

  it('usePresence shows users coming online, changing status and leaving', async () => {
    await using server = await startTestServer({ config: { features: { presence: { graceMs: 200 } } } });
    const client = clientFor(server, 'alice');
    const { result } = renderHook(() => usePresence(['bob', 'carol']), { wrapper: wrapperFor(client) });
    await waitFor(() => expect(result.current['bob']?.status).toBe('offline'));
    const bob = await server.connect('bob');
    await waitFor(() => expect(result.current['bob']?.status).toBe('online'));
    await request(bob, 'presence:set', { status: 'busy' });
    await waitFor(() => expect(result.current['bob']?.status).toBe('busy'));
    bob.disconnect();
    await waitFor(() => expect(result.current['bob']?.status).toBe('offline'));
    expect(result.current['carol']?.status).toBe('offline');
  });

  it('useLobby follows a lobby until it starts', async () => {
    await using server = await startTestServer();
    const host = await server.connect('host');
    const created = await request(host, 'lobby:create', { maxPlayers: 4, name: 'Friday raid' });
    if (!created.ok) throw new Error('lobby');
    const lobbyId = created.data.lobby.id;
    const client = clientFor(server, 'guest');
    expect((await client.request('lobby:join', { lobbyId })).ok).toBe(true);

    const { result } = renderHook(() => useLobby(lobbyId), { wrapper: wrapperFor(client) });
    await waitFor(() => expect(result.current.lobby?.members.map((m) => m.userId)).toEqual(['host', 'guest']));
    await request(host, 'lobby:settings', { lobbyId, settings: { map: 'harbor' } });
    await waitFor(() => expect(result.current.lobby?.settings['map']).toBe('harbor'));
    await request(host, 'lobby:ready', { lobbyId, ready: true });
    await act(() => client.request('lobby:ready', { lobbyId, ready: true }));
    expect((await request(host, 'lobby:start', { lobbyId })).ok).toBe(true);
    await waitFor(() => expect(result.current.ended).toBe('started'));
  });

  it('usePokerSession plays a round: story, hidden votes, reveal, reset', async () => {
    await using server = await startTestServer();
    const facilitator = clientFor(server, 'fran', 'Fran');
    const player = await server.connect('pat', { name: 'Pat' });
    const { result } = renderHook(() => usePokerSession('sprint-1', { name: 'Fran' }), { wrapper: wrapperFor(facilitator) });
    await waitFor(() => expect(result.current.session?.facilitatorId).toBe('fran'));
    await request(player, 'poker:join', { sessionId: 'sprint-1', name: 'Pat' });
    await waitFor(() => expect(result.current.session?.players.map((p) => p.name)).toEqual(['Fran', 'Pat']));

    await act(() => result.current.setStory('Login page'));
    await waitFor(() => expect(result.current.session?.story?.title).toBe('Login page'));
    const storyId = result.current.session!.story!.id;
    expect((await act(() => result.current.vote('5'))).ok).toBe(true);
    expect(result.current.myVote).toBe('5');
    await request(player, 'poker:vote', { sessionId: 'sprint-1', storyId, value: '8' });
    await waitFor(() => expect(result.current.session?.players.every((p) => p.hasVoted)).toBe(true));
    expect(result.current.session?.votes).toBeUndefined();

    await act(() => result.current.reveal());
    await waitFor(() => expect(result.current.session?.revealed).toBe(true));
    expect(result.current.session?.votes?.map((v) => v.value).sort()).toEqual(['5', '8']);
    expect(result.current.session?.consensus?.average).toBe(6.5);

    await act(() => result.current.reset());
    await waitFor(() => expect(result.current.session?.revealed).toBe(false));
    expect(result.current.myVote).toBeNull();
    expect(result.current.session?.players.some((p) => p.hasVoted)).toBe(false);
  });
});
