/**
 * Matchmaking that ends in a seat: a mode configured with a room type makes a game room for
 * each match and reserves a seat in it for each player, whose `matchmaking:matched` carries
 * their own reservation. Through real sockets and through the SDK's `rooms.joinMatch`.
 */
import { createClient, withRooms } from '@tavern/client-sdk';
import { builtInSlices, defineContract, gameRoomSlice, type ClientPayloadOf, type CommandNameOf, type CommandResultOf, type MatchmakingMatched, type Result } from '@tavern/protocol';
import { describe, expect, it, onTestFinished } from 'vitest';
import { gameRoomsFeature, matchmakingFeature } from '../src/features/index.js';
import { presets } from '../src/presets.js';
import { arenaRoom, duelRoom } from './support/arena-room.js';
import { next, request as builtIn, startTestServer, type ClientSocket, type TestServer } from './support/start-test-server.js';

const contract = defineContract(...builtInSlices, gameRoomSlice);
type Rooms = typeof contract;

/** Sends a command of the game-room slice and resolves with its ack. */
function request<E extends CommandNameOf<Rooms>>(socket: ClientSocket, event: E, payload: ClientPayloadOf<Rooms, E>): Promise<Result<CommandResultOf<Rooms, E>>> {
  return (socket.timeout(5_000) as unknown as { emitWithAck(event: string, payload: unknown): Promise<Result<CommandResultOf<Rooms, E>>> }).emitWithAck(event, payload);
}

const features = [...presets.lobby, gameRoomsFeature, duelRoom, arenaRoom];
const fastMatching = { tickMs: 50, statusIntervalMs: 100, widenEveryMs: 200, expireAfterMs: 5_000 };
type Modes = Record<string, { teamSize: number; teams: number; room?: { type: string; options?: Record<string, unknown>; reservationTtlMs?: number; private?: boolean } }>;
const matching = (modes: Modes) => ({ features: { matchmaking: { ...fastMatching, modes } } });
const duelMode: Modes = { duel: { teamSize: 1, teams: 2, room: { type: 'duel' } } };

/** Queues every player for `mode` and resolves with what each was matched with. */
async function queue(players: ClientSocket[], mode: string): Promise<MatchmakingMatched[]> {
  const matched = players.map((player) => next(player, 'matchmaking:matched', 10_000));
  for (const player of players) expect((await builtIn(player, 'matchmaking:join', { mode })).ok).toBe(true);
  return Promise.all(matched);
}

describe('matchmaking that ends in a game room', () => {
  it('seats both matched players by their own reservations; no seat without one, none with another player’s', async () => {
    // Configured in code, as the README shows it (the room's other settings have defaults).
    const configured = matchmakingFeature.with({ ...fastMatching, modes: { duel: { teamSize: 1, teams: 2, room: { type: 'duel' } } } });
    await using server = await startTestServer({ features: features.map((feature) => (feature === matchmakingFeature ? configured : feature)) });
    const [ada, bo, cy] = await Promise.all(['ada', 'bo', 'cy'].map((userId) => server.connect(userId)));
    const [forAda, forBo] = await queue([ada!, bo!], 'duel');
    // One room, the same lobby as before, and each player's own reservation.
    expect(forAda!.room).toMatchObject({ type: 'duel', roomId: forBo!.room!.roomId });
    expect(forAda!.lobbyId).toBe(forBo!.lobbyId);
    expect(forAda!.room!.reservation).not.toBe(forBo!.room!.reservation);
    expect(forAda!.room!.expiresAt).toBeGreaterThan(Date.now());
    const roomId = forAda!.room!.roomId;

    // Bo cannot take Ada's seat with her reservation, nor Cy, nor anyone without one.
    expect(await request(bo!, 'room:join', { roomId, reservation: forAda!.room!.reservation })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await request(cy!, 'room:join', { roomId, reservation: forAda!.room!.reservation })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await request(cy!, 'room:join', { roomId })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    // A made-up reservation is no better.
    expect(await request(cy!, 'room:join', { roomId, reservation: 'made-up' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });

    const adaSeat = await request(ada!, 'room:join', { roomId, reservation: forAda!.room!.reservation });
    expect(adaSeat).toMatchObject({ ok: true, data: { roomId, type: 'duel', state: { seated: ['ada'] } } });
    const boSeat = await request(bo!, 'room:join', { roomId, reservation: forBo!.room!.reservation });
    expect(boSeat).toMatchObject({ ok: true, data: { roomId, state: { seated: ['ada', 'bo'] } } });
    // A reservation seats once; Cy, who was never matched, still has no way in.
    expect(await request(cy!, 'room:join', { roomId, reservation: forBo!.room!.reservation })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    // Matched rooms are private by default: not in the room list.
    expect(await request(cy!, 'room:list', { type: 'duel' })).toEqual({ ok: true, data: { rooms: [] } });
  });

  it('a reservation not used in time expires: the seat is free again and the late player is refused', async () => {
    const modes: Modes = { duel: { teamSize: 1, teams: 2, room: { type: 'duel', reservationTtlMs: 1_000, private: false } } };
    await using server = await startTestServer({ features, config: matching(modes) });
    const [ada, bo] = await Promise.all(['ada', 'bo'].map((userId) => server.connect(userId)));
    const [forAda, forBo] = await queue([ada!, bo!], 'duel');
    const roomId = forAda!.room!.roomId;
    expect((await request(ada!, 'room:join', { roomId, reservation: forAda!.room!.reservation })).ok).toBe(true);
    // While Bo's reservation holds his seat the room is full; once it lapses, the seat shows as free.
    expect(await request(ada!, 'room:list', { type: 'duel', available: true })).toEqual({ ok: true, data: { rooms: [] } });
    await expect
      .poll(async () => {
        const result = await request(ada!, 'room:list', { type: 'duel', available: true });
        return result.ok ? result.data.rooms.map((room) => room.roomId) : [];
      }, { timeout: 10_000 })
      .toEqual([roomId]);
    expect(await request(bo!, 'room:join', { roomId, reservation: forBo!.room!.reservation })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });

  it('a mode without a room type makes a lobby only, as before', async () => {
    await using server = await startTestServer({ features, config: matching({ ...duelMode, casual: { teamSize: 1, teams: 2 } }) });
    const [ada, bo] = await Promise.all(['ada', 'bo'].map((userId) => server.connect(userId)));
    const results = await queue([ada!, bo!], 'casual');
    for (const result of results) expect(result).not.toHaveProperty('room');
  });

  it('a room the match cannot get (options its type refuses) fails the tickets with matchmaking:error', async () => {
    const modes: Modes = { arena: { teamSize: 1, teams: 2, room: { type: 'arena', options: { mode: 'hardcore' } } } };
    await using server = await startTestServer({ features, config: matching(modes) });
    const [ada, bo] = await Promise.all(['ada', 'bo'].map((userId) => server.connect(userId)));
    const failed = [ada!, bo!].map((player) => next(player, 'matchmaking:error', 10_000));
    const joined = await Promise.all([ada!, bo!].map((player) => builtIn(player, 'matchmaking:join', { mode: 'arena' })));
    const errors = await Promise.all(failed);
    expect(errors.map((error) => error.ticketId)).toEqual(joined.map((result) => (result.ok ? result.data.ticketId : null)));
    expect(errors[0]!.message).toMatch(/^no game room for the match: .*mode/);
    // The tickets are gone: both may queue again.
    expect((await builtIn(ada!, 'matchmaking:join', { mode: 'arena' })).ok).toBe(true);
  });

  it('a match room counts against the rooms of a player who has one to spare; with none, the tickets fail', async () => {
    const config = { features: { ...matching(duelMode).features, 'game-rooms': { maxRoomsPerUser: 1 } } };
    await using server = await startTestServer({ features, config });
    const [ada, bo, cy, di] = await Promise.all(['ada', 'bo', 'cy', 'di'].map((userId) => server.connect(userId)));
    // Ada, whose ticket is the oldest, runs a room of her own already: the match's room is Bo's.
    expect((await request(ada!, 'room:create', { type: 'arena' })).ok).toBe(true);
    const [forAda] = await queue([ada!, bo!], 'duel');
    expect((await request(ada!, 'room:join', { roomId: forAda!.room!.roomId, reservation: forAda!.room!.reservation })).ok).toBe(true);
    // Bo's quota is used by that room now; Cy and Di both run one too: no room for their match.
    expect((await request(cy!, 'room:create', { type: 'arena' })).ok).toBe(true);
    expect((await request(di!, 'room:create', { type: 'arena' })).ok).toBe(true);
    const failed = [cy!, di!].map((player) => next(player, 'matchmaking:error', 10_000));
    for (const player of [cy!, di!]) expect((await builtIn(player, 'matchmaking:join', { mode: 'duel' })).ok).toBe(true);
    for (const error of await Promise.all(failed)) expect(error.message).toBe('no game room for the match: at most 1 rooms per user');
  });

  it('a mode that ends in a room on a server without game rooms stops start-up', async () => {
    await expect(startTestServer({ features: presets.lobby, config: matching(duelMode) })).rejects.toThrow(/mode duel ends in a duel room, but the server runs no gameRoomsFeature/);
  });
});

describe('SDK: from matched to seated', () => {
  function player(server: TestServer, userId: string) {
    const client = withRooms(createClient({ url: server.url, getToken: () => server.token(userId), contract, socketOptions: { transports: ['websocket'] } }));
    onTestFinished(() => {
      client.rooms.dispose();
      client.close();
    });
    return client;
  }

  it('rooms.joinMatch takes the reserved seat; a match without a room is refused PRECONDITION_FAILED', async () => {
    await using server = await startTestServer({ features, config: matching({ ...duelMode, casual: { teamSize: 1, teams: 2 } }) });
    const [ada, bo] = [player(server, 'ada'), player(server, 'bo')];
    const matched = [ada, bo].map((client) => new Promise<MatchmakingMatched>((resolve) => client.on('matchmaking:matched', resolve)));
    for (const client of [ada, bo]) expect((await client.request('matchmaking:join', { mode: 'duel' })).ok).toBe(true);
    const [forAda, forBo] = await Promise.all(matched);
    const adaRoom = await ada.rooms.joinMatch<{ seated: string[] }>(forAda!);
    const boRoom = await bo.rooms.joinMatch<{ seated: string[] }>(forBo!);
    if (!adaRoom.ok || !boRoom.ok) throw new Error('both should be seated');
    expect(adaRoom.data.id).toBe(forAda!.room!.roomId);
    await expect.poll(() => adaRoom.data.state.seated).toEqual(['ada', 'bo']);
    expect(boRoom.data.state.seated).toEqual(['ada', 'bo']);
    // Someone else holding the match's event gets no seat with it.
    const cy = player(server, 'cy');
    expect(await cy.rooms.joinMatch(forBo!)).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });

    const casual = [ada, bo].map((client) => new Promise<MatchmakingMatched>((resolve) => client.on('matchmaking:matched', resolve)));
    for (const client of [ada, bo]) expect((await client.request('matchmaking:join', { mode: 'casual' })).ok).toBe(true);
    const [lobbyOnly] = await Promise.all(casual);
    expect(await ada.rooms.joinMatch(lobbyOnly!)).toMatchObject({ ok: false, error: { code: 'PRECONDITION_FAILED' } });
  });
});
