import { applyRoomPatch, createClient, withRooms, type GameRoom } from '@tavern/client-sdk';
import { builtInSlices, defineContract, gameRoomSlice, type RoomPatchOperation } from '@tavern/protocol';
import { once } from 'node:events';
import { describe, expect, expectTypeOf, it, onTestFinished } from 'vitest';
import { presets } from '../src/presets.js';
import { gameRoomsFeature } from '../src/features/index.js';
import { arenaHandles, arenaRoom, arenaSeats, arenaSlice, arenaView, duelRoom } from './support/arena-room.js';
import { startTestServer, type TestServer } from './support/start-test-server.js';

const contract = defineContract(...builtInSlices, gameRoomSlice, arenaSlice);
type ArenaView = ReturnType<typeof arenaView>;
const features = [...presets.chat, gameRoomsFeature, arenaRoom, duelRoom];

function player(server: TestServer, userId: string) {
  const client = withRooms(createClient({ url: server.url, getToken: () => server.token(userId), contract, reconnect: { initialDelayMs: 0, jitter: 0 }, socketOptions: { transports: ['websocket'] } }));
  const rooms = client.rooms;
  onTestFinished(() => {
    rooms.dispose();
    client.close();
  });
  return { client, rooms };
}

function seated<R>(result: { ok: true; data: R } | { ok: false; error: { code: string; message: string } }): R {
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.data;
}

/** Drops the client's transport for real: the server sees a closed connection. */
function dropTransport(client: ReturnType<typeof player>['client']): Promise<void> {
  const dropped = new Promise<void>((resolve) => client.socket.once('disconnect', () => resolve()));
  (client.socket.io.engine as unknown as { transport: { ws: { _socket: { destroy(): void } } } }).transport.ws._socket.destroy();
  return dropped;
}

describe('applyRoomPatch', () => {
  it('applies add, remove and replace without touching the input, sharing what did not change', () => {
    const state = { players: { a: { x: 1 }, b: { x: 2 } }, notes: [1, 2, 3], 'a/b': { '~': 0 } };
    const ops: RoomPatchOperation[] = [
      { op: 'replace', path: '/players/a/x', value: 5 },
      { op: 'remove', path: '/notes/0' },
      { op: 'add', path: '/notes/-', value: 9 },
      { op: 'add', path: '/notes/1', value: 7 },
      { op: 'add', path: '/players/c', value: { x: 0 } },
      { op: 'replace', path: '/a~1b/~0', value: 1 },
    ];
    const next = applyRoomPatch(state, ops);
    expect(next).toEqual({ players: { a: { x: 5 }, b: { x: 2 }, c: { x: 0 } }, notes: [2, 7, 3, 9], 'a/b': { '~': 1 } });
    expect(state).toEqual({ players: { a: { x: 1 }, b: { x: 2 } }, notes: [1, 2, 3], 'a/b': { '~': 0 } });
    expect(next.players.b).toBe(state.players.b);
    expect(() => applyRoomPatch(state, [{ op: 'remove', path: '/players/z' }])).toThrow();
    expect(() => applyRoomPatch(state, [{ op: 'replace', path: '/notes/3', value: 0 }])).toThrow();
  });
});

describe('SDK game rooms', () => {
  it('keeps a typed copy of the view in sync, sends typed messages, and leaves', async () => {
    await using server = await startTestServer({ features });
    const ada = player(server, 'ada');
    const bo = player(server, 'bo');
    const room = seated(await ada.rooms.joinOrCreate<ArenaView>('arena', { options: { mode: 'ranked' } }));
    expectTypeOf(room.state.secret).toEqualTypeOf<string | null>();
    const same = seated(await bo.rooms.joinOrCreate<ArenaView>('arena', { filter: { mode: 'ranked' } }));
    expect(same.id).toBe(room.id);

    const changes: ArenaView[] = [];
    room.onChange((state) => changes.push(state));
    const moved = await same.send('arena:move', { dx: 2, dy: 3 });
    expect(moved).toEqual({ ok: true, data: { x: 2, y: 3 } });
    // @ts-expect-error -- a field the command does not take
    await same.send('arena:move', { dx: 1, dy: 1, teleport: true });
    // @ts-expect-error -- not a command of the contract
    const unknownCommand = () => same.send('arena:nope', {});
    expect(unknownCommand).toBeTypeOf('function');
    expect(same.signal('arena:note', { value: 4 })).toBe(true);
    await same.send('arena:run', { ticks: 3 });
    const handle = arenaHandles.get(room.id)!;
    await expect.poll(() => handle.state.ticksLeft).toBe(0);
    const view = (userId: string) => arenaView(handle.state, { userId, name: userId, seatId: '', connected: true });
    await expect.poll(() => room.state).toEqual(view('ada'));
    await expect.poll(() => same.state).toEqual(view('bo'));
    expect(changes.length).toBeGreaterThan(0);
    expect(room.state.secret).toBe(`secret-ada-${room.id}`);

    const listed = seated(await ada.rooms.list({ type: 'arena' }));
    expect(listed.rooms).toMatchObject([{ roomId: room.id, players: 2, metadata: { mode: 'ranked' } }]);
    const gone = new Promise((resolve) => same.onLeft(resolve));
    expect(await same.leave()).toEqual({ ok: true, data: {} });
    expect(await gone).toBe('left');
    expect(bo.rooms.get(room.id)).toBeUndefined();
    await expect.poll(() => Object.keys(room.state.players)).toEqual(['ada']);
  });

  it('takes the seat back after a reconnect within the grace period, with what changed meanwhile', async () => {
    await using server = await startTestServer({ features });
    const ada = player(server, 'ada');
    const bo = player(server, 'bo');
    const room = seated(await ada.rooms.create<ArenaView>('arena'));
    const theirs = seated(await bo.rooms.join<ArenaView>(room.id));
    const seatId = theirs.seatId;
    await dropTransport(bo.client);
    await room.send('arena:move', { dx: 4, dy: 4 }); // while bo is away
    await expect.poll(() => bo.client.state).toBe('connected');
    await expect.poll(() => theirs.state.players['ada']?.x).toBe(4);
    expect(theirs.seatId).toBe(seatId);
    expect(theirs.ended).toBeNull();
    expect(await theirs.send('arena:move', { dx: 1, dy: 0 })).toEqual({ ok: true, data: { x: 1, y: 0 } });
  });

  it('reports the seat gone when the reconnect comes after the grace period', async () => {
    await using server = await startTestServer({ features });
    const ada = player(server, 'ada');
    const room = seated(await ada.rooms.create<ArenaView>('arena'));
    const ended = new Promise((resolve) => room.onLeft(resolve));
    // Hold the reconnect's handshake until the server has given the seat up (grace 400 ms).
    const released = once(arenaSeats, 'released');
    server.tavern.io.use((_socket, next) => void released.then(() => next()));
    await dropTransport(ada.client);
    expect(await ended).toBe('expired');
    expect(ada.rooms.get(room.id)).toBeUndefined();
  });

  it('asks for the full state after a gap in the patches', async () => {
    await using server = await startTestServer({ features });
    const ada = player(server, 'ada');
    const room: GameRoom<ArenaView, typeof contract> = seated(await ada.rooms.create<ArenaView>('arena'));
    room.seq -= 1; // as if a patch had been lost
    await room.send('arena:move', { dx: 1, dy: 1 });
    await expect.poll(() => room.resyncs).toBe(1);
    await expect.poll(() => room.state.players['ada']?.x).toBe(1);
  });
});
