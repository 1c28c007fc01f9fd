/**
 * One rooms-per-socket cap, held where every join ends (the adapter): whichever command or
 * server-driven join puts a socket in rooms, it never holds more than the cap; the command
 * that would go beyond answers LIMIT_EXCEEDED and changes nothing. Presence watches count
 * against their own cap (maxWatched) instead.
 */
import { describe, expect, it } from 'vitest';
import { next, request, startTestServer, type ClientSocket, type TestServer } from './support/start-test-server.js';

const CAP = 12;
const WATCHED = 5;

/** The rooms the server holds `socket` in, without its own id room. */
function roomsOf(server: TestServer, socket: ClientSocket): string[] {
  const serverSocket = server.tavern.io.of('/').sockets.get(socket.id!);
  if (!serverSocket) throw new Error('no such socket on the server');
  return [...serverSocket.rooms].filter((room) => room !== socket.id);
}

async function refusals(server: TestServer): Promise<number> {
  const { values } = await server.tavern.metrics.capRefusals.get();
  return values.find((value) => value.labels['cap'] === 'rooms_per_socket')?.value ?? 0;
}

const limitExceeded = { ok: false, error: { code: 'LIMIT_EXCEEDED' } };

describe('the rooms-per-socket cap', () => {
  it('holds for poker, lobbies, parties, combat, chat and server-driven joins; presence watches have their own cap', async () => {
    await using server = await startTestServer({ config: { limits: { maxRoomsPerSocket: CAP }, features: { presence: { maxWatched: WATCHED } } } });
    const u = await server.connect('u');
    const host = await server.connect('host');
    const inviter = await server.connect('inviter');
    const notOver = () => expect(roomsOf(server, u).filter((name) => !name.startsWith('presence:')).length).toBeLessThanOrEqual(CAP);

    // A lobby and a party to join later, owned by others.
    const lobby = await request(host, 'lobby:create', { maxPlayers: 8 });
    if (!lobby.ok) throw new Error('lobby:create failed');
    const lobbyId = lobby.data.lobby.id;
    const party = await request(inviter, 'party:create', {});
    if (!party.ok) throw new Error('party:create failed');
    const partyId = party.data.party.id;

    // Rooms through every kind of command, then poker sessions until the cap.
    expect((await request(u, 'zone:enter', { zoneId: 'dark-forest' })).ok).toBe(true);
    expect((await request(u, 'combat:start', { opponents: [{ type: 'npc', id: 'bandit' }] })).ok).toBe(true);
    expect((await request(u, 'lobby:create', { maxPlayers: 4 })).ok).toBe(true);
    const room = await request(u, 'chat:create', { name: 'den', visibility: 'public' });
    if (!room.ok) throw new Error('chat:create failed');
    expect((await request(u, 'chat:join', { channelId: room.data.channelId })).ok).toBe(true);
    notOver();
    for (let i = 0; roomsOf(server, u).length < CAP; i++) expect((await request(u, 'poker:join', { sessionId: `fill-${i}` })).ok).toBe(true);
    expect(roomsOf(server, u)).toHaveLength(CAP);

    // At the cap, every command that would add a room is refused and changes nothing.
    expect(await request(u, 'poker:join', { sessionId: 'one-too-many' })).toMatchObject(limitExceeded);
    const poker = await request(host, 'poker:join', { sessionId: 'one-too-many' });
    expect(poker.ok && poker.data.session.players.map((player) => player.id)).toEqual(['host']);
    expect(await request(u, 'lobby:create', { maxPlayers: 4 })).toMatchObject(limitExceeded);
    expect(await request(u, 'lobby:join', { lobbyId })).toMatchObject(limitExceeded);
    const unchanged = await request(host, 'lobby:subscribe', { lobbyId });
    expect(unchanged.ok && unchanged.data.lobby.members.map((member) => member.userId)).toEqual(['host']);
    expect(await request(u, 'party:create', {})).toMatchObject(limitExceeded);
    const invited = next(u, 'party:invited');
    expect((await request(inviter, 'party:invite', { userId: 'u' })).ok).toBe(true);
    await invited;
    expect(await request(u, 'party:accept', { partyId })).toMatchObject(limitExceeded);
    expect(await request(u, 'chat:join', { channelId: 'global:main' })).toMatchObject(limitExceeded);
    notOver();

    // Server-driven joins (every socket of the user, any node) are dropped at the adapter and counted.
    const before = await refusals(server);
    const tab = await server.connect('u');
    expect((await request(tab, 'lobby:join', { lobbyId })).ok).toBe(true);
    expect(roomsOf(server, tab)).toContain(`lobby:${lobbyId}`);
    expect(roomsOf(server, u)).not.toContain(`lobby:${lobbyId}`);
    expect(await refusals(server)).toBeGreaterThan(before);
    notOver();

    // Presence watches do not count against the cap: they have maxWatched.
    expect((await request(u, 'presence:subscribe', { userIds: ['w1', 'w2', 'w3'] })).ok).toBe(true);
    expect((await request(u, 'presence:subscribe', { userIds: ['w1', 'w2', 'w3', 'w4', 'w5'] })).ok).toBe(true);
    expect(await request(u, 'presence:subscribe', { userIds: ['w6'] })).toMatchObject(limitExceeded);
    expect(roomsOf(server, u).filter((name) => name.startsWith('presence:'))).toHaveLength(WATCHED);
    expect(roomsOf(server, u).filter((name) => !name.startsWith('presence:'))).toHaveLength(CAP);

    // Leaving frees a place.
    expect((await request(u, 'poker:leave', { sessionId: 'fill-0' })).ok).toBe(true);
    await expect.poll(() => roomsOf(server, u).length - WATCHED).toBe(CAP - 1);
    expect((await request(u, 'poker:join', { sessionId: 'one-too-many' })).ok).toBe(true);
    notOver();
  });
});
