import {
  builtInSlices,
  defineContract,
  gameRoomSlice,
  type ClientPayloadOf,
  type CommandNameOf,
  type CommandResultOf,
  type Result,
  type RoomJoined,
  type RoomPatch,
  type RoomState,
  type ServerPayloadOf,
} from '@tavern/protocol';
import fastJsonPatch from 'fast-json-patch';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { presets } from '../src/presets.js';
import { defineRoom, gameRoomsFeature } from '../src/features/index.js';
import { z } from 'zod';
import { arenaHandles, arenaRoom, arenaSlice, arenaView, duelRoom, serviceProbe } from './support/arena-room.js';
import { startTestServer, type ClientSocket } from './support/start-test-server.js';

/** What a studio's client of these rooms is typed by: the built-ins, the game rooms and the arena's own messages. */
const roomsContract = defineContract(...builtInSlices, gameRoomSlice, arenaSlice);
type Rooms = typeof roomsContract;
expect(Object.keys(roomsContract.clientEvents)).toContain('arena:move');

/** Sends a command of the game-room (or arena) slice and resolves with its ack. */
function request<E extends CommandNameOf<Rooms>>(socket: ClientSocket, event: E, payload: ClientPayloadOf<Rooms, E>): Promise<Result<CommandResultOf<Rooms, E>>> {
  return (socket.timeout(5_000) as unknown as { emitWithAck(event: string, payload: unknown): Promise<Result<CommandResultOf<Rooms, E>>> }).emitWithAck(event, payload);
}

/** Subscribes to a server event of the game-room slice. */
function on<E extends 'room:patch' | 'room:state' | 'room:closed' | 'room:left' | 'error'>(socket: ClientSocket, event: E, listener: (data: ServerPayloadOf<Rooms, E>) => void): void {
  (socket as unknown as { on(event: string, listener: (data: ServerPayloadOf<Rooms, E>) => void): void }).on(event, listener);
}

const next = <E extends 'room:closed' | 'room:left' | 'error'>(socket: ClientSocket, event: E) => new Promise<ServerPayloadOf<Rooms, E>>((resolve) => on(socket, event, resolve));

const probe = serviceProbe();
const features = [...presets.chat, gameRoomsFeature, arenaRoom, duelRoom, probe.feature];

/** Sends an event of a room type's own slice and resolves with its ack. */
function send(socket: ClientSocket, event: 'arena:move' | 'arena:run' | 'arena:shout' | 'arena:fill', payload: unknown): Promise<{ ok: boolean; data?: unknown; error?: { code: string } }> {
  return (socket.timeout(5_000) as unknown as { emitWithAck(event: string, payload: unknown): Promise<{ ok: boolean; data?: unknown; error?: { code: string } }> }).emitWithAck(event, payload);
}

/** Sends a signal of a room type's own slice. */
function signalTo(socket: ClientSocket, event: string, payload: unknown): void {
  (socket as unknown as { emit(event: string, payload: unknown): void }).emit(event, payload);
}

function joined(result: Awaited<ReturnType<typeof request<'room:join'>>>): RoomJoined {
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.data;
}

/**
 * A client's copy of one room, rebuilt from the full state and the patches as they arrive:
 * a patch whose seq is not the next one makes it ask `room:sync` (and count the gap).
 */
function mirror(socket: ClientSocket, start: RoomJoined) {
  const copy = { roomId: start.roomId, seq: start.seq, state: structuredClone(start.state), patches: 0, fulls: 0, gaps: 0, errors: [] as unknown[] };
  on(socket, 'room:patch', (patch: RoomPatch) => {
    if (patch.roomId !== copy.roomId) return;
    if (patch.seq !== copy.seq + 1) {
      copy.gaps++;
      void request(socket, 'room:sync', { roomId: copy.roomId }).then((result) => {
        if (result.ok) Object.assign(copy, { seq: result.data.seq, state: result.data.state });
      });
      return;
    }
    try {
      copy.state = fastJsonPatch.applyPatch(copy.state, patch.ops as fastJsonPatch.Operation[], true, false).newDocument;
      copy.seq = patch.seq;
      copy.patches++;
    } catch (error) {
      copy.errors.push(error);
    }
  });
  on(socket, 'room:state', (full: RoomState) => {
    if (full.roomId !== copy.roomId) return;
    if (full.seq <= copy.seq) copy.errors.push(new Error(`room:state with seq ${full.seq} after ${copy.seq}`));
    Object.assign(copy, { seq: full.seq, state: full.state, fulls: copy.fulls + 1 });
  });
  return copy;
}

/** Every raw frame the socket receives from now on (events and acks alike). */
function rawFrames(socket: ClientSocket): string[] {
  const frames: string[] = [];
  socket.io.engine.on('data', (data: unknown) => frames.push(typeof data === 'string' ? data : String(data)));
  return frames;
}

describe('game rooms', () => {
  it('joins, refuses and leaves: onJoin refusals, full rooms, unknown types and rooms, a consented leave', async () => {
    await using server = await startTestServer({ features });
    const [ada, bo, cy, dee] = await Promise.all(['ada', 'bo', 'cy', 'dee'].map((userId) => server.connect(userId)));
    const banned = await server.connect('banned-eve');
    const created = joined(await request(ada!, 'room:create', { type: 'arena', options: { mode: 'ranked' } }));
    expect(created).toMatchObject({ type: 'arena', seq: 0, rejoined: false, state: { players: { ada: { x: 0 } }, secret: `secret-ada-${created.roomId}` } });
    const { roomId } = created;

    expect(await request(banned, 'room:join', { roomId })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await request(bo!, 'room:join', { roomId: 'no-such-room' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await request(bo!, 'room:create', { type: 'no-such-type' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await request(bo!, 'room:create', { type: 'arena', options: { mode: 'hardcore' } })).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });

    const adaCopy = mirror(ada!, created);
    const boJoined = joined(await request(bo!, 'room:join', { roomId }));
    expect(Object.keys((boJoined.state as { players: object }).players).sort()).toEqual(['ada', 'bo']);
    await expect.poll(() => Object.keys((adaCopy.state as { players: object }).players).sort()).toEqual(['ada', 'bo']);
    joined(await request(cy!, 'room:join', { roomId }));
    expect(await request(dee!, 'room:join', { roomId })).toMatchObject({ ok: false, error: { code: 'LIMIT_EXCEEDED' } });

    expect(await request(bo!, 'room:leave', { roomId })).toEqual({ ok: true, data: {} });
    await expect.poll(() => Object.keys((adaCopy.state as { players: object }).players).sort()).toEqual(['ada', 'cy']);
    expect(await request(bo!, 'room:leave', { roomId })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    // The seat bo gave up is free again.
    joined(await request(dee!, 'room:join', { roomId }));
    expect(adaCopy.errors).toEqual([]);
  });

  it("validates and rate-limits a room type's messages like every event, and caps their size", async () => {
    await using server = await startTestServer({ features });
    const ada = await server.connect('ada');
    const bo = await server.connect('bo');
    const { roomId } = joined(await request(ada, 'room:create', { type: 'arena' }));
    expect(await send(ada, 'arena:move', { roomId, dx: 2, dy: -1 })).toEqual({ ok: true, data: { x: 2, y: -1 } });
    expect(await send(ada, 'arena:move', { roomId, dx: 99, dy: 0 })).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    expect(await send(ada, 'arena:move', { roomId: 'not a room!', dx: 1, dy: 0 })).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    // Without a seat in the room.
    expect(await send(bo, 'arena:move', { roomId, dx: 1, dy: 0 })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await send(ada, 'arena:shout', { roomId, text: 'x'.repeat(600) })).toMatchObject({ ok: false, error: { code: 'LIMIT_EXCEEDED' } });
    // The slice's own bucket: burst 3, then RATE_LIMITED with retryAfterMs.
    const flood = await Promise.all([1, 2, 3, 4, 5].map(() => send(ada, 'arena:shout', { roomId, text: 'hey' })));
    // The refused shout took a token too (the bucket runs before the handler).
    expect(flood.map((result) => (result.ok ? 'OK' : result.error!.code))).toEqual(['OK', 'OK', 'RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED']);
    // A signal that fails validation comes back as `error`.
    const refused = next(ada, 'error');
    signalTo(ada, 'arena:note', { roomId, value: 'seven' });
    expect(await refused).toMatchObject({ code: 'INVALID_PAYLOAD', event: 'arena:note' });
  });

  it('rebuilds exactly the server state of each view from full state + patches over a seeded random run of ticks and messages', async () => {
    await using server = await startTestServer({ features });
    const players = await Promise.all(['p0', 'p1', 'p2'].map((userId) => server.connect(userId)));
    let gaps = 0;
    let fulls = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            who: fc.integer({ min: 0, max: 2 }),
            action: fc.constantFrom('move', 'note', 'unnote', 'run', 'fill', 'gap'),
            d: fc.integer({ min: -5, max: 5 }),
          }),
          { minLength: 40, maxLength: 80 },
        ),
        async (actions) => {
          const first = joined(await request(players[0]!, 'room:create', { type: 'arena' }));
          const copies = [mirror(players[0]!, first)];
          for (const socket of players.slice(1)) copies.push(mirror(socket, joined(await request(socket, 'room:join', { roomId: first.roomId }))));
          const handle = arenaHandles.get(first.roomId)!;
          for (const { who, action, d } of actions) {
            const socket = players[who]!;
            if (action === 'move') await send(socket, 'arena:move', { roomId: first.roomId, dx: d, dy: -d });
            else if (action === 'note') signalTo(socket, 'arena:note', { roomId: first.roomId, value: d + 5 });
            else if (action === 'unnote') signalTo(socket, 'arena:note', { roomId: first.roomId, value: -1 });
            else if (action === 'run') await send(socket, 'arena:run', { roomId: first.roomId, ticks: d + 6 });
            // Up to 150 notes at once: some changes go out as the full view instead of a patch.
            else if (action === 'fill') await send(socket, 'arena:fill', { roomId: first.roomId, count: (d + 5) * 15, from: d });
            // A lost patch: the copy forgets where it was and must resynchronise.
            else copies[who]!.seq -= 1;
          }
          // Whatever the timing made of the actions above (patches coalesce within a patch
          // interval), every run ends with a lost patch and a full view for certain.
          const fullsBefore = copies.map((copy) => copy.fulls);
          await send(players[0]!, 'arena:fill', { roomId: first.roomId, count: 150, from: 10_000 });
          await expect.poll(() => copies.every((copy, index) => copy.fulls > fullsBefore[index]!), { timeout: 5_000 }).toBe(true);
          // Settled first (no resync of an earlier gap still in flight to mend this one silently).
          await expect.poll(() => handle.state.ticksLeft, { timeout: 10_000 }).toBe(0);
          const settledView = arenaView(handle.state, { userId: 'p1', name: 'p1', seatId: '', connected: true });
          await expect.poll(() => copies[1]!.state, { timeout: 5_000 }).toEqual(settledView);
          const gapsBefore = copies[1]!.gaps;
          copies[1]!.seq -= 1;
          await send(players[1]!, 'arena:move', { roomId: first.roomId, dx: 1, dy: 1 });
          await expect.poll(() => copies[1]!.gaps, { timeout: 5_000 }).toBeGreaterThan(gapsBefore);
          await expect.poll(() => handle.state.ticksLeft, { timeout: 10_000 }).toBe(0);
          const viewOf = (index: number) => arenaView(handle.state, { userId: `p${index}`, name: `p${index}`, seatId: '', connected: true });
          for (const [index, copy] of copies.entries()) await expect.poll(() => copy.state, { timeout: 5_000 }).toEqual(viewOf(index));
          // Quiet now: what each copy holds is exactly the server's view, and no patch failed to apply.
          for (const [index, copy] of copies.entries()) {
            expect(copy.state).toStrictEqual(viewOf(index));
            expect(copy.errors).toEqual([]);
          }
          expect(copies.reduce((sum, copy) => sum + copy.patches, 0)).toBeGreaterThan(0);
          gaps += copies.reduce((sum, copy) => sum + copy.gaps, 0);
          fulls += copies.reduce((sum, copy) => sum + copy.fulls, 0);
          for (const socket of players) await request(socket, 'room:leave', { roomId: first.roomId });
          for (const socket of players) (socket as unknown as { removeAllListeners(event: string): unknown }).removeAllListeners('room:patch');
        },
      ),
      { seed: 20261202, numRuns: 4, endOnFailure: true },
    );
    expect(gaps).toBeGreaterThan(0); // the runs did lose patches, and the copies caught up through room:sync
    expect(fulls).toBeGreaterThan(0); // and some changes came as full views
  }, 120_000);

  it("never sends a player another player's hidden value, in any frame", async () => {
    await using server = await startTestServer({ features });
    const sockets = await Promise.all(['ada', 'bo', 'cy'].map((userId) => server.connect(userId)));
    const frames = sockets.map(rawFrames);
    const first = joined(await request(sockets[0]!, 'room:create', { type: 'arena' }));
    for (const socket of sockets.slice(1)) joined(await request(socket, 'room:join', { roomId: first.roomId }));
    const copies = sockets.map((socket, index) => mirror(socket, { ...first, state: index === 0 ? first.state : {} }));
    for (const socket of sockets) await send(socket, 'arena:move', { roomId: first.roomId, dx: 1, dy: 1 });
    await send(sockets[1]!, 'arena:run', { roomId: first.roomId, ticks: 5 });
    const handle = arenaHandles.get(first.roomId)!;
    await expect.poll(() => handle.state.ticksLeft).toBe(0);
    await expect.poll(() => copies[0]!.state).toEqual(arenaView(handle.state, { userId: 'ada', name: 'ada', seatId: '', connected: true }));
    // Bo drops and comes back: the rejoin's full state is a frame too.
    sockets[1]!.io.engine.close();
    const bo = await server.connect('bo');
    frames.push(rawFrames(bo));
    joined(await request(bo, 'room:join', { roomId: first.roomId }));
    await expect.poll(() => handle.state.players['bo']?.connected).toBe(true);
    await expect.poll(() => copies[0]!.patches).toBeGreaterThan(3);

    const secrets = ['ada', 'bo', 'cy'].map((userId) => `secret-${userId}-${first.roomId}`);
    const owner = [0, 1, 2, 1];
    for (const [index, received] of frames.entries()) {
      expect(received.length).toBeGreaterThan(0);
      const others = secrets.filter((_, at) => at !== owner[index]);
      for (const frame of received) for (const secret of others) expect(frame.includes(secret), `frame ${frame.slice(0, 80)}`).toBe(false);
    }
    // The tap sees what each player may see: their own secret.
    for (const [index, received] of frames.entries()) expect(received.some((frame) => frame.includes(secrets[owner[index]!]!))).toBe(true);
  });

  it('keeps a dropped seat for the grace period with the state back on rejoin, and frees it after', async () => {
    await using server = await startTestServer({ features });
    const ada = await server.connect('ada');
    let bo = await server.connect('bo');
    const first = joined(await request(ada, 'room:create', { type: 'arena' }));
    const seat = joined(await request(bo, 'room:join', { roomId: first.roomId }));
    await send(bo, 'arena:move', { roomId: first.roomId, dx: 3, dy: 4 });
    const copy = mirror(ada, first);
    const handle = arenaHandles.get(first.roomId)!;

    bo.io.engine.close(); // the transport drops for real
    await expect.poll(() => handle.state.players['bo']?.connected).toBe(false);
    bo = await server.connect('bo');
    const back = joined(await request(bo, 'room:join', { roomId: first.roomId }));
    expect(back).toMatchObject({ rejoined: true, seatId: seat.seatId, state: { players: { bo: { x: 3, y: 4, connected: true } }, secret: `secret-bo-${first.roomId}` } });

    const left = new Promise<void>((resolve) => on(ada, 'room:patch', () => (handle.state.players['bo'] === undefined ? resolve() : undefined)));
    bo.io.engine.close();
    await left; // the grace period (400 ms) ran out: the seat is gone from the state
    await expect.poll(() => Object.keys((copy.state as { players: object }).players)).toEqual(['ada']);
    bo = await server.connect('bo');
    const fresh = joined(await request(bo, 'room:join', { roomId: first.roomId }));
    expect(fresh.rejoined).toBe(false);
    expect(fresh.seatId).not.toBe(seat.seatId);
    expect(fresh.state).toMatchObject({ players: { bo: { x: 0, y: 0 } } });
  });

  it('refuses a seat without a valid reservation where the room type requires one, and after the grace period', async () => {
    await using server = await startTestServer({ features });
    const [ada, bo, cy] = await Promise.all(['ada', 'bo', 'cy'].map((userId) => server.connect(userId)));
    const service = probe.service();
    const room = service.createRoom('duel', {}, { createdBy: 'matchmaker' });
    const forAda = service.reserve(room.id, 'ada');
    const forBo = service.reserve(room.id, 'bo');
    expect(() => service.reserve(room.id, 'cy')).toThrow(expect.objectContaining({ code: 'LIMIT_EXCEEDED' }));

    expect(await request(ada!, 'room:join', { roomId: room.id })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await request(cy!, 'room:join', { roomId: room.id, reservation: forAda })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(joined(await request(ada!, 'room:join', { roomId: room.id, reservation: forAda })).state).toEqual({ seated: ['ada'] });
    // Clients cannot make rooms of a type joined by reservation.
    expect(await request(bo!, 'room:autojoin', { type: 'duel' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await request(bo!, 'room:create', { type: 'duel' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const boSeat = joined(await request(bo!, 'room:join', { roomId: room.id, reservation: forBo }));
    expect(boSeat.state).toEqual({ seated: ['ada', 'bo'] });

    // Bo drops: the seat comes back within grace without a reservation, and is gone after it.
    const aliveCopy = mirror(ada!, joined(await request(ada!, 'room:join', { roomId: room.id })));
    bo!.io.engine.close();
    const again = await server.connect('bo');
    expect(joined(await request(again, 'room:join', { roomId: room.id }))).toMatchObject({ rejoined: true, seatId: boSeat.seatId });
    again.io.engine.close();
    await expect.poll(() => aliveCopy.state, { timeout: 3_000 }).toEqual({ seated: ['ada'] });
    const late = await server.connect('bo');
    expect(await request(late, 'room:join', { roomId: room.id })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await request(late, 'room:join', { roomId: room.id, reservation: forBo })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } }); // used once
  });

  it('lists public rooms with metadata and player counts, filtered; private rooms by id only', async () => {
    await using server = await startTestServer({ features });
    const [ada, bo, cy, dee] = await Promise.all(['ada', 'bo', 'cy', 'dee'].map((userId) => server.connect(userId)));
    const ranked = joined(await request(ada!, 'room:create', { type: 'arena', options: { mode: 'ranked' } }));
    const casual = joined(await request(bo!, 'room:create', { type: 'arena' }));
    const secret = joined(await request(cy!, 'room:create', { type: 'arena', private: true }));
    joined(await request(dee!, 'room:join', { roomId: ranked.roomId }));

    const all = await request(dee!, 'room:list', { type: 'arena' });
    expect(all.ok && all.data.rooms.map((room) => room.roomId).sort()).toEqual([ranked.roomId, casual.roomId].sort());
    expect(await request(dee!, 'room:list', { filter: { mode: 'ranked' } })).toMatchObject({
      ok: true,
      data: { rooms: [{ roomId: ranked.roomId, type: 'arena', metadata: { mode: 'ranked' }, players: 2, maxPlayers: 3, createdAt: expect.any(Number) }] },
    });
    expect(await request(dee!, 'room:list', { type: 'duel' })).toEqual({ ok: true, data: { rooms: [] } });
    expect(await request(dee!, 'room:list', { filter: { mode: { nested: true } } as never })).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    // The private room is joined by id, and never listed.
    joined(await request(dee!, 'room:join', { roomId: secret.roomId }));
    // autojoin picks a listed room that matches the filter.
    const placed = joined(await request(await server.connect('eve'), 'room:autojoin', { type: 'arena', filter: { mode: 'ranked' } }));
    expect(placed.roomId).toBe(ranked.roomId);
    expect(await request(dee!, 'room:list', { type: 'arena', available: true })).toMatchObject({ ok: true, data: { rooms: [{ roomId: casual.roomId }] } });
  });

  it('bounds rooms per user and disposes a room left empty', async () => {
    await using server = await startTestServer({ features: [...presets.chat, gameRoomsFeature.with({ maxRoomsPerUser: 2 }), arenaRoom, duelRoom, probe.feature] });
    const ada = await server.connect('ada');
    const first = joined(await request(ada, 'room:create', { type: 'arena' }));
    joined(await request(ada, 'room:create', { type: 'arena' }));
    expect(await request(ada, 'room:create', { type: 'arena' })).toMatchObject({ ok: false, error: { code: 'LIMIT_EXCEEDED' } });
    await request(ada, 'room:leave', { roomId: first.roomId });
    // Empty for its emptyTtlMs (300 ms): disposed, and the quota has room again.
    await expect.poll(() => probe.service().find(first.roomId), { timeout: 3_000 }).toBeUndefined();
    joined(await request(ada, 'room:create', { type: 'arena' }));
  });

  it('sends the full view, numbered like a patch, when the patch would be longer', async () => {
    await using server = await startTestServer({ features });
    const ada = await server.connect('ada');
    const first = joined(await request(ada, 'room:create', { type: 'arena' }));
    const copy = mirror(ada, first);
    const handle = arenaHandles.get(first.roomId)!;
    const view = () => arenaView(handle.state, { userId: 'ada', name: 'ada', seatId: '', connected: true });
    await send(ada, 'arena:fill', { roomId: first.roomId, count: 150, from: 1000 });
    await expect.poll(() => copy.fulls).toBe(1);
    expect(copy.state).toEqual(view());
    await send(ada, 'arena:move', { roomId: first.roomId, dx: 1, dy: 0 }); // small again: a patch
    await expect.poll(() => copy.patches).toBe(1);
    expect(copy).toMatchObject({ fulls: 1, gaps: 0, errors: [], state: view() });
  });

  it('keeps an empty room made by matchmaking open while a reservation is unclaimed', async () => {
    await using server = await startTestServer({ features });
    const service = probe.service();
    const room = service.createRoom('arena', {}, { createdBy: 'matchmaker' });
    const reservation = service.reserve(room.id, 'ada', 5_000);
    const other = service.createRoom('arena', {}, { createdBy: 'matchmaker' });
    // The room without a reservation is disposed after emptyTtlMs (300 ms); the reserved one is not.
    await expect.poll(() => service.find(other.id), { timeout: 3_000 }).toBeUndefined();
    expect(service.find(room.id)).toBeDefined();
    const ada = await server.connect('ada');
    expect(joined(await request(ada, 'room:join', { roomId: room.id, reservation })).roomId).toBe(room.id);
  });

  it("moves a user's seat to the connection that joins last, and tells the other one", async () => {
    await using server = await startTestServer({ features });
    const phone = await server.connect('ada');
    const laptop = await server.connect('ada');
    const first = joined(await request(phone, 'room:create', { type: 'arena' }));
    const moved = next(phone, 'room:left');
    const again = joined(await request(laptop, 'room:join', { roomId: first.roomId }));
    expect(again).toMatchObject({ rejoined: true, seatId: first.seatId });
    expect(await moved).toEqual({ roomId: first.roomId, reason: 'replaced' });
    expect(await send(phone, 'arena:move', { roomId: first.roomId, dx: 1, dy: 0 })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await send(laptop, 'arena:move', { roomId: first.roomId, dx: 1, dy: 0 })).toEqual({ ok: true, data: { x: 1, y: 0 } });
  });

  it('disposes a room whose tick throws, telling its seats', async () => {
    const fragile = defineRoom({
      type: 'fragile',
      state: z.object({ ticks: z.number() }),
      limits: { tickHz: 100 },
      onCreate: () => ({ ticks: 0 }),
      onTick: (room) => {
        room.state.ticks += 1;
        if (room.state.ticks === 3) throw new Error('the game logic has a bug');
      },
      onMessage: {},
    });
    await using server = await startTestServer({ features: [...presets.chat, gameRoomsFeature, fragile, probe.feature] });
    const ada = await server.connect('ada');
    const closed = next(ada, 'room:closed');
    const first = joined(await request(ada, 'room:create', { type: 'fragile' }));
    expect(await closed).toEqual({ roomId: first.roomId, reason: 'disposed' });
    expect(probe.service().find(first.roomId)).toBeUndefined();
  });

  it('tells every seat when the room closes', async () => {
    await using server = await startTestServer({ features });
    const ada = await server.connect('ada');
    const first = joined(await request(ada, 'room:create', { type: 'arena' }));
    const closed = next(ada, 'room:closed');
    probe.service().find(first.roomId)!.dispose();
    expect(await closed).toEqual({ roomId: first.roomId, reason: 'disposed' });
    expect(await send(ada, 'arena:move', { roomId: first.roomId, dx: 1, dy: 1 })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });
});
