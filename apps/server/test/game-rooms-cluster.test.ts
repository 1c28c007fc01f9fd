/**
 * Game rooms across the nodes of a cluster, over a single Redis and a Redis Cluster: a room
 * runs on one node and players of any node play in it; the room list covers every node; a
 * room whose node is SIGKILLed is restored on a surviving node from its checkpoint, and its
 * players (on a surviving node, and one whose connection died with the node) carry on. The
 * restore's time and the ticks of state it lost are printed (measured, not asserted).
 */
import { createClient, withRooms } from '@tavern/client-sdk';
import { builtInSlices, defineContract, gameRoomSlice, type Result, type RoomClosed, type RoomState } from '@tavern/protocol';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { presets } from '../src/presets.js';
import { gameRoomsFeature } from '../src/features/index.js';
import { arenaHandles, arenaRoom, arenaSeats, arenaSlice, arenaView, fragileTickerRoom, serviceProbe, tickerRoom, tickerSlice, type TickerState } from './support/arena-room.js';
import { REDIS_BACKENDS, useRedisBackend } from './support/redis-connections.js';
import { ROOM_NODE, startServerProcess } from './support/start-server-process.js';
import { clusterConfig, startTestServer } from './support/start-test-server.js';

const contract = defineContract(...builtInSlices, gameRoomSlice, arenaSlice, tickerSlice);
type ArenaView = ReturnType<typeof arenaView>;
const features = [...presets.chat, gameRoomsFeature, arenaRoom, tickerRoom, fragileTickerRoom];

interface Untyped {
  request(event: string, payload: unknown): Promise<Result<unknown>>;
}

function player(url: string, token: () => Promise<string>) {
  const client = withRooms(createClient({ url, getToken: token, contract, reconnect: { initialDelayMs: 0, jitter: 0 }, socketOptions: { transports: ['websocket'] } }));
  onTestFinished(() => {
    client.rooms.dispose();
    client.close();
  });
  return client;
}

function seated<R>(result: { ok: true; data: R } | { ok: false; error: { code: string; message: string } }): R {
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.data;
}

/** `room:list` is rate-limited (2/s): a poll of it asks at a pace under that, for as long as a slow machine needs. */
const LIST_POLL = { interval: 600, timeout: 30_000 };

const codeOf = (result: Result<unknown>) => (result.ok ? 'ok' : result.error.code);

/** Drops the client's transport for real: the server sees a closed connection. */
function dropTransport(client: ReturnType<typeof player>): Promise<void> {
  const dropped = new Promise<void>((resolve) => client.socket.once('disconnect', () => resolve()));
  (client.socket.io.engine as unknown as { transport: { ws: { _socket: { destroy(): void } } } }).transport.ws._socket.destroy();
  return dropped;
}

/**
 * A TCP forwarder on a free port, to the port given (changed with `retarget`): the one address
 * a reconnecting client knows, in front of a node that dies and one that survives.
 */
async function startForwarder(target: number): Promise<{ url: string; retarget(port: number): void } & AsyncDisposable> {
  let port = target;
  const open = new Set<Socket>();
  const server: Server = createServer((inbound) => {
    const outbound = connect(port, '127.0.0.1');
    for (const [from, to] of [
      [inbound, outbound],
      [outbound, inbound],
    ] as const) {
      open.add(from);
      from.pipe(to);
      from.on('error', () => to.destroy());
      from.on('close', () => {
        open.delete(from);
        to.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: own } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${own}`,
    retarget: (next) => (port = next),
    async [Symbol.asyncDispose]() {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe.each(REDIS_BACKENDS)('game rooms across nodes (%s)', (backend) => {
  const redis = useRedisBackend(backend);

  it("a player on node B plays in node A's room: commands reach A, acks and errors come back, patches reproduce the state", async () => {
    await using a = await startTestServer({ config: clusterConfig(redis().url), features });
    await using b = await startTestServer({ config: clusterConfig(redis().url), features });
    const ada = player(a.url, () => a.token('ada'));
    const bo = player(b.url, () => b.token('bo'));
    const created = seated(await ada.rooms.create<ArenaView>('arena', { options: { mode: 'ranked' } }));
    const handle = arenaHandles.get(created.id)!;
    const room = seated(await bo.rooms.join<ArenaView>(created.id));
    expect(room.state.secret).toBe(`secret-bo-${created.id}`);

    expect(await room.send('arena:move', { dx: 2, dy: -1 })).toEqual({ ok: true, data: { x: 2, y: -1 } });
    expect(handle.state.players['bo']).toMatchObject({ x: 2, y: -1 });
    // Validated and size-capped on B, before anything crosses to A.
    expect(codeOf(await room.send('arena:move', { dx: 99, dy: 0 }))).toBe('INVALID_PAYLOAD');
    expect(codeOf(await room.send('arena:shout', { text: 'x'.repeat(600) }))).toBe('LIMIT_EXCEEDED');
    // Refused by A's onJoin, answered on B.
    const banned = player(b.url, () => b.token('banned-eve'));
    expect(codeOf(await banned.rooms.join(created.id))).toBe('FORBIDDEN');
    expect(codeOf(await banned.rooms.join('no-such-room'))).toBe('NOT_FOUND');
    expect(handle.state.players['banned-eve']).toBeUndefined();

    room.signal('arena:note', { value: 7 });
    expect(await room.send('arena:run', { ticks: 20 })).toMatchObject({ ok: true });
    await expect.poll(() => handle.state.ticksLeft).toBe(0);
    const viewOfBo = () => arenaView(handle.state, handle.players.find((seat) => seat.userId === 'bo')!);
    await expect.poll(() => room.state).toEqual(viewOfBo());
    expect(room.state.notes).toEqual([7]);
    expect(room.resyncs).toBe(0);
    const synced = (await (bo as unknown as Untyped).request('room:sync', { roomId: created.id })) as Result<RoomState>;
    expect(seated(synced).state).toEqual(viewOfBo());

    // A dropped connection on B keeps the seat on A; the SDK takes it back through B.
    const seatId = room.seatId;
    const dropped = new Promise<string>((resolve) => arenaSeats.on('dropped', (roomId: string, userId: string) => roomId === created.id && resolve(userId)));
    await dropTransport(bo);
    expect(await dropped).toBe('bo');
    await expect.poll(() => handle.players.find((seat) => seat.userId === 'bo')?.connected, { timeout: 10_000 }).toBe(true);
    expect(room.seatId).toBe(seatId);
    expect(await room.send('arena:move', { dx: 1, dy: 1 })).toEqual({ ok: true, data: { x: 3, y: 0 } });
    await expect.poll(() => room.state).toEqual(viewOfBo());

    const released = new Promise<string>((resolve) => arenaSeats.on('released', (roomId: string, userId: string) => roomId === created.id && resolve(userId)));
    expect(await room.leave()).toEqual({ ok: true, data: {} });
    expect(await released).toBe('bo');
    expect(codeOf(await room.send('arena:move', { dx: 1, dy: 0 }))).toBe('FORBIDDEN');
  });

  it('a seat taken by the same user on another node leaves the old connection with room:left replaced', async () => {
    await using a = await startTestServer({ config: clusterConfig(redis().url), features });
    await using b = await startTestServer({ config: clusterConfig(redis().url), features });
    const ada = player(a.url, () => a.token('ada'));
    const boOnB = player(b.url, () => b.token('bo'));
    const boOnA = player(a.url, () => a.token('bo'));
    const created = seated(await ada.rooms.create<ArenaView>('arena'));
    const first = seated(await boOnB.rooms.join<ArenaView>(created.id));
    const ended = new Promise((resolve) => first.onLeft(resolve));
    const second = seated(await boOnA.rooms.join<ArenaView>(created.id));
    expect(second.seatId).toBe(first.seatId);
    expect(await ended).toBe('replaced');
    expect(codeOf(await (boOnB as unknown as Untyped).request('arena:move', { roomId: created.id, dx: 1, dy: 0 }))).toBe('FORBIDDEN');
    expect(await second.send('arena:move', { dx: 1, dy: 0 })).toEqual({ ok: true, data: { x: 1, y: 0 } });
    // The old connection closing does not touch the seat its user now holds elsewhere.
    boOnB.close();
    expect(await second.send('arena:move', { dx: 1, dy: 0 })).toEqual({ ok: true, data: { x: 2, y: 0 } });
    expect(arenaHandles.get(created.id)!.players.find((seat) => seat.userId === 'bo')?.connected).toBe(true);
  });

  it("keeps the seat of a player whose node was SIGKILLed for the grace period, as a drop", { timeout: 60_000 }, async () => {
    await using a = await startTestServer({ config: clusterConfig(redis().url), features });
    await using seatNode = await startServerProcess({ REDIS_URL: redis().url, REDIS_KEY_PREFIX: 'tavern:', FEATURES: 'chat' }, { entry: ROOM_NODE });
    const ada = player(a.url, () => a.token('ada'));
    const kim = player(seatNode.url, () => seatNode.token('kim'));
    const created = seated(await ada.rooms.create<ArenaView>('arena'));
    seated(await kim.rooms.join(created.id));
    const handle = arenaHandles.get(created.id)!;
    expect(handle.players.find((seat) => seat.userId === 'kim')?.connected).toBe(true);
    const dropped = new Promise<string>((resolve) => arenaSeats.on('dropped', (roomId: string, userId: string) => roomId === created.id && resolve(userId)));
    seatNode.kill('SIGKILL');
    await seatNode.exited;
    // No disconnect reaches A; the next frame for kim finds no node to take it.
    seated(await ada.rooms.get<ArenaView>(created.id)!.send('arena:move', { dx: 1, dy: 0 }));
    expect(await dropped).toBe('kim');
    expect(handle.players.find((seat) => seat.userId === 'kim')?.connected).toBe(false);
  });

  it("lists every node's public rooms with their players, autojoins across nodes, and lets the registry entries expire", async () => {
    await using a = await startTestServer({ config: clusterConfig(redis().url), features });
    await using b = await startTestServer({ config: clusterConfig(redis().url), features });
    const ada = player(a.url, () => a.token('ada'));
    const bo = player(b.url, () => b.token('bo'));
    const ranked = seated(await ada.rooms.create('arena', { options: { mode: 'ranked' } }));
    const hidden = seated(await ada.rooms.create('arena', { options: { mode: 'ranked' }, private: true }));
    await expect.poll(async () => seated(await bo.rooms.list({ type: 'arena' })).rooms.map((listed) => [listed.roomId, listed.players]), LIST_POLL).toEqual([[ranked.id, 1]]);
    expect(seated(await bo.rooms.list({ type: 'arena', filter: { mode: 'casual' } })).rooms).toEqual([]);
    expect(seated(await bo.rooms.list({ type: 'arena' })).rooms[0]).toMatchObject({ type: 'arena', metadata: { mode: 'ranked' }, maxPlayers: 3 });

    // Private: not listed, joined by id from B.
    const inHidden = seated(await bo.rooms.join(hidden.id));
    expect(inHidden.id).toBe(hidden.id);
    // Autojoin on B finds A's room.
    const cy = player(b.url, () => b.token('cy'));
    const auto = seated(await cy.rooms.joinOrCreate('arena', { filter: { mode: 'ranked' } }));
    expect(auto.id).toBe(ranked.id);
    await expect.poll(async () => seated(await bo.rooms.list({ type: 'arena' })).rooms[0]?.players, LIST_POLL).toBe(2);

    const client = redis().client();
    const ttl = 60_000; // GAME_ROOMS_REGISTRY_TTL_MS's default, above 3 node TTLs of these nodes
    for (const key of [`tavern:groom:entry:${ranked.id}`, `tavern:groom:ckpt:${ranked.id}`]) {
      const left = await client.pttl(key);
      expect(left).toBeGreaterThan(0);
      expect(left).toBeLessThanOrEqual(ttl);
    }
    // A Redis that lost the checkpoint (of a room whose state did not change) gets it again.
    await client.del(`tavern:groom:ckpt:${ranked.id}`);
    await expect.poll(() => client.exists(`tavern:groom:ckpt:${ranked.id}`), { timeout: 10_000 }).toBe(1);
    // A closed room leaves the registry at once.
    await Promise.all([ada.rooms.get(ranked.id)!.leave(), cy.rooms.get(ranked.id)!.leave()]);
    await expect.poll(async () => seated(await bo.rooms.list({ type: 'arena' })).rooms, LIST_POLL).toEqual([]);
    await expect.poll(() => client.exists(`tavern:groom:entry:${ranked.id}`), { timeout: 10_000 }).toBe(0);
  });

  it('counts the rooms and seats of a user over every node', async () => {
    const strict = [...presets.chat, gameRoomsFeature.with({ maxRoomsPerUser: 1, maxSeatsPerUser: 2 }), arenaRoom];
    await using a = await startTestServer({ config: clusterConfig(redis().url), features: strict });
    await using b = await startTestServer({ config: clusterConfig(redis().url), features: strict });
    const onA = player(a.url, () => a.token('hal'));
    const onB = player(b.url, () => b.token('hal'));
    const ivy = player(b.url, () => b.token('ivy'));
    const mine = seated(await onA.rooms.create('arena'));
    expect(codeOf(await onB.rooms.create('arena'))).toBe('LIMIT_EXCEEDED');
    const ivys = seated(await ivy.rooms.create('arena'));
    seated(await onB.rooms.join(ivys.id)); // a second seat: on B, in a room of B
    const jay = player(a.url, () => a.token('jay'));
    const jays = seated(await jay.rooms.create('arena'));
    expect(codeOf(await onA.rooms.join(jays.id))).toBe('LIMIT_EXCEEDED');
    expect(jay.rooms.get(jays.id)).toBeDefined();
    // A seat given up counts no more, wherever it was.
    seated(await onB.rooms.get(ivys.id)!.leave());
    expect(await onA.rooms.join(jays.id)).toMatchObject({ ok: true });
    expect(arenaHandles.get(jays.id)!.players.map((seat) => seat.userId).sort()).toEqual(['hal', 'jay']);
    // And a room closed no longer counts against its creator: hal creates again, on B.
    seated(await onA.rooms.get(mine.id)!.leave());
    await expect.poll(async () => codeOf(await onB.rooms.create('arena', { private: true })), { interval: 1_100, timeout: 30_000 }).toBe('ok');
  });

  it('lets the entry and checkpoint of a dead node\'s room expire when no surviving node can restore it', { timeout: 60_000 }, async () => {
    const url = redis().url;
    // B does not run the ticker type: nothing refreshes the room once its node is gone.
    await using b = await startTestServer({ config: clusterConfig(url), features: [...presets.chat, gameRoomsFeature, arenaRoom] });
    await using owner = await startServerProcess(
      { REDIS_URL: url, REDIS_KEY_PREFIX: 'tavern:', FEATURES: 'chat', NODE_HEARTBEAT_MS: '500', NODE_TTL_MS: '2000', GAME_ROOMS_REGISTRY_TTL_MS: '1000' },
      { entry: ROOM_NODE },
    );
    const frank = player(owner.url, () => owner.token('frank'));
    const gina = player(b.url, () => b.token('gina'));
    const created = seated(await frank.rooms.create('ticker'));
    await expect.poll(async () => seated(await gina.rooms.list({ type: 'ticker' })).rooms.map((listed) => listed.roomId), LIST_POLL).toContain(created.id);
    const client = redis().client();
    // Three node TTLs, however short the setting.
    expect(await client.pttl(`tavern:groom:entry:${created.id}`)).toBeGreaterThan(1_000);
    owner.kill('SIGKILL');
    await owner.exited;
    await expect.poll(async () => seated(await gina.rooms.list({ type: 'ticker' })).rooms.map((listed) => listed.roomId), LIST_POLL).not.toContain(created.id);
    for (const key of [`tavern:groom:entry:${created.id}`, `tavern:groom:ckpt:${created.id}`]) await expect.poll(() => client.exists(key), { timeout: 30_000 }).toBe(0);
    expect(codeOf(await gina.rooms.join(created.id))).toBe('NOT_FOUND');
  });

  it('restores the room of a SIGKILLed node on one surviving node from its checkpoint; its players carry on', { timeout: 120_000 }, async () => {
    const url = redis().url;
    const probeB = serviceProbe();
    const probeC = serviceProbe();
    await using b = await startTestServer({ config: clusterConfig(url), features: [...features, probeB.feature] });
    await using c = await startTestServer({ config: clusterConfig(url), features: [...features, probeC.feature] });
    await using owner = await startServerProcess({ REDIS_URL: url, REDIS_KEY_PREFIX: 'tavern:', FEATURES: 'chat', NODE_HEARTBEAT_MS: '500', NODE_TTL_MS: '2000' }, { entry: ROOM_NODE });
    await using forwarder = await startForwarder(owner.port);
    // Carol reaches the owner through the one address she knows; Dave plays from B.
    const carol = player(forwarder.url, () => owner.token('carol'));
    const dave = player(b.url, () => b.token('dave'));
    const created = seated(await carol.rooms.create<TickerState>('ticker'));
    const fragile = seated(await carol.rooms.create<TickerState>('fragile-ticker'));
    const room = seated(await dave.rooms.join<TickerState>(created.id));
    seated(await dave.rooms.join<TickerState>(fragile.id));
    for (let i = 0; i < 3; i += 1) seated(await room.send('ticker:move', { by: 2 }));
    seated(await created.send('ticker:move', { by: 5 }));
    await expect.poll(() => room.state.moves).toEqual({ carol: 5, dave: 6 });

    // The checkpoint that holds those moves, read from Redis as the restorer will.
    const client = redis().client();
    const checkpointed = async () => {
      const raw = await client.get(`tavern:groom:ckpt:${created.id}`);
      return raw === null ? null : (JSON.parse(raw) as { state: TickerState; savedAt: number });
    };
    await expect.poll(async () => (await checkpointed())?.state.moves, { timeout: 10_000 }).toEqual({ carol: 5, dave: 6 });
    // Not right after a checkpoint: three quarters into the interval, where most of it is at stake.
    const checkpointTick = (await checkpointed())!.state.tick;
    await expect.poll(() => room.state.tick, { timeout: 10_000 }).toBeGreaterThanOrEqual(checkpointTick + 15);
    const lastCheckpoint = (await checkpointed())!;

    let restoredAt = 0;
    let restoredTick = -1;
    room.onChange((state) => {
      if (state.restores === 1 && restoredTick < 0) {
        restoredAt = Date.now();
        restoredTick = state.tick;
      }
    });
    const lost = new Promise<RoomClosed>((resolve) =>
      dave.socket.on('room:closed' as never, (closed: RoomClosed) => {
        if (closed.roomId === fragile.id) resolve(closed);
      }),
    );
    const seenTick = room.state.tick;
    forwarder.retarget(b.port);
    const killedAt = Date.now();
    owner.kill('SIGKILL');
    await owner.exited;

    // Dave, connected to a survivor all along, gets the restored room's full state.
    await expect.poll(() => restoredTick, { timeout: 60_000 }).toBeGreaterThanOrEqual(0);
    expect(restoredTick).toBeGreaterThanOrEqual(lastCheckpoint.state.tick);
    expect(room.state.moves).toEqual({ carol: 5, dave: 6 });
    expect(room.ended).toBeNull();
    expect(await lost).toEqual({ roomId: fragile.id, reason: 'lost' });
    // One survivor runs it, never two.
    const runners = [probeB.service().find(created.id), probeC.service().find(created.id)].filter(Boolean);
    expect(runners).toHaveLength(1);
    console.log(
      `[${backend}] game room restore after SIGKILL: ${((restoredAt - killedAt) / 1000).toFixed(2)} s from the kill to the restored state at a player ` +
        `(node TTL 2 s, sweep 1 s, checkpoint every 1 s); ${seenTick - restoredTick} ticks of 20 Hz state lost ` +
        `(the player had seen tick ${seenTick}, the checkpoint held tick ${lastCheckpoint.state.tick}, saved ${killedAt - lastCheckpoint.savedAt} ms before the kill)`,
    );

    // Dave carries on: his commands reach the room's new node, the state moves on.
    expect(await room.send('ticker:move', { by: 1 })).toEqual({ ok: true, data: { moves: 7 } });
    await expect.poll(() => room.state.tick).toBeGreaterThan(restoredTick);
    // Carol's connection died with the node: the SDK reconnects (to B now), rejoins once the room is back, and plays on.
    const carolsRoom = carol.rooms.get<TickerState>(created.id)!;
    await expect.poll(() => carolsRoom.state.restores, { timeout: 60_000 }).toBe(1);
    expect(carolsRoom.ended).toBeNull();
    expect(await carolsRoom.send('ticker:move', { by: 3 })).toEqual({ ok: true, data: { moves: 8 } });
    await expect.poll(() => room.state.moves).toEqual({ carol: 8, dave: 7 });
    // Both copies follow the one room (it ticks on, so compare what no tick changes).
    await expect.poll(() => carolsRoom.state.moves).toEqual({ carol: 8, dave: 7 });
    await expect.poll(() => carolsRoom.state.tick).toBeGreaterThan(room.state.tick);
    expect(carol.rooms.get(fragile.id)).toBeUndefined();
    // The registry names the restored room (and no more the lost one) to every node.
    const erin = player(c.url, () => c.token('erin'));
    const listed = async () => seated(await erin.rooms.list({})).rooms.filter((entry) => entry.roomId === created.id || entry.roomId === fragile.id);
    await expect.poll(async () => (await listed()).map((entry) => [entry.roomId, entry.players]), LIST_POLL).toEqual([[created.id, 2]]);
  });
});
