/**
 * Room types the game-room tests run: `arena` (a tick, moves, notes, per-player secrets that
 * only their owner may see) and `duel` (two seats, by reservation only). `arenaHandles` holds
 * every arena's handle so tests can compare a client's copy with the server's state.
 */
import { command, defineSlice, Id, signal } from '@tavern/protocol';
import { EventEmitter } from 'node:events';
import { z } from 'zod';
import { AppError, defineFeature } from '../../src/api.js';
import { defineRoom, type GameRoomService, type RoomHandle, type RoomPlayer } from '../../src/features/index.js';

export const ArenaState = z.object({
  tick: z.number().int(),
  ticksLeft: z.number().int().nonnegative(),
  players: z.record(z.string(), z.object({ name: z.string(), x: z.number().int(), y: z.number().int(), score: z.number().int(), connected: z.boolean() })),
  secrets: z.record(z.string(), z.string()),
  notes: z.array(z.number().int()),
});
export type ArenaState = z.infer<typeof ArenaState>;

export const arenaSlice = defineSlice({
  id: 'arena',
  title: 'Arena',
  description: 'A test room: moves, notes and ticks.',
  commands: {
    'arena:move': command(z.object({ roomId: Id, dx: z.number().int().min(-5).max(5), dy: z.number().int().min(-5).max(5) }), z.object({ x: z.number(), y: z.number() }), {
      description: 'Moves your piece.',
      rateLimit: { ratePerSec: 200, burst: 400 },
    }),
    'arena:run': command(z.object({ roomId: Id, ticks: z.number().int().min(1).max(50) }), z.object({ ticksLeft: z.number() }), {
      description: 'Lets the tick advance the state for some ticks.',
    }),
    'arena:fill': command(z.object({ roomId: Id, count: z.number().int().min(0).max(200), from: z.number().int() }), z.object({}), {
      description: 'Replaces the notes with count numbers counting up from `from`.',
    }),
    'arena:shout': command(z.object({ roomId: Id, text: z.string().max(60_000) }), z.object({}), {
      description: 'Says something (to test the message size cap and the rate limit).',
      rateLimit: { ratePerSec: 1, burst: 3 },
    }),
  },
  signals: {
    'arena:note': signal(z.object({ roomId: Id, value: z.number().int() }), { description: 'Appends a note, or removes the first with a negative value.' }),
  },
});

export const arenaHandles = new Map<string, RoomHandle<ArenaState>>();
/** Emits `released` (roomId, userId) when an arena seat is gone for good, `dropped` when its connection dropped. */
export const arenaSeats = new EventEmitter();

export const arenaView = (state: ArenaState, player: RoomPlayer) => ({
  tick: state.tick,
  ticksLeft: state.ticksLeft,
  players: state.players,
  notes: state.notes,
  secret: state.secrets[player.userId] ?? null,
});

export const arenaRoom = defineRoom({
  type: 'arena',
  state: ArenaState,
  slice: arenaSlice,
  options: z.object({ mode: z.enum(['casual', 'ranked']).default('casual'), maxScore: z.number().int().optional() }),
  limits: { maxPlayers: 3, tickHz: 50, patchIntervalMs: 20, graceMs: 400, emptyTtlMs: 300, maxMessageBytes: 512 },
  onCreate(room, options) {
    room.setMetadata({ mode: options.mode });
    // The handle given to onCreate is the room's own: its state is what onCreate returns.
    arenaHandles.set(room.id, room as RoomHandle<ArenaState>);
    return { tick: 0, ticksLeft: 0, players: {}, secrets: {}, notes: [] };
  },
  onJoin(room, player, { rejoin }) {
    if (player.userId.startsWith('banned')) throw new AppError('FORBIDDEN', 'banned players may not sit here');
    const state = room.state;
    if (!rejoin) state.secrets[player.userId] = `secret-${player.userId}-${room.id}`;
    state.players[player.userId] = { name: player.name, x: state.players[player.userId]?.x ?? 0, y: state.players[player.userId]?.y ?? 0, score: 0, connected: true };
  },
  onLeave(room, player, { final }) {
    if (final) {
      delete room.state.players[player.userId];
      delete room.state.secrets[player.userId];
      arenaSeats.emit('released', room.id, player.userId);
    } else {
      const seat = room.state.players[player.userId];
      if (seat) seat.connected = false;
      arenaSeats.emit('dropped', room.id, player.userId);
    }
  },
  onTick(room) {
    const state = room.state;
    if (state.ticksLeft === 0) return;
    state.ticksLeft -= 1;
    state.tick += 1;
    for (const player of Object.values(state.players)) player.score += (state.tick % 3) + 1;
  },
  onMessage: {
    'arena:move': (room, player, { dx, dy }) => {
      const piece = room.state.players[player.userId]!;
      piece.x += dx;
      piece.y += dy;
      return { x: piece.x, y: piece.y };
    },
    'arena:run': (room, _player, { ticks }) => ({ ticksLeft: (room.state.ticksLeft += ticks) }),
    'arena:shout': () => ({}),
    'arena:fill': (room, _player, { count, from }) => {
      room.state.notes = Array.from({ length: count }, (_, index) => from + index);
      return {};
    },
    'arena:note': (room, _player, { value }) => {
      if (value < 0) room.state.notes.shift();
      else room.state.notes.push(value);
    },
  },
  view: arenaView,
});

export const duelRoom = defineRoom({
  type: 'duel',
  state: z.object({ seated: z.array(z.string()) }),
  limits: { maxPlayers: 2, tickHz: 0, graceMs: 300, requireReservation: true },
  onCreate: () => ({ seated: [] as string[] }),
  onJoin: (room, player, { rejoin }) => {
    if (!rejoin) room.state.seated.push(player.userId);
  },
  onLeave: (room, player, { final }) => {
    if (final) room.state.seated = room.state.seated.filter((userId) => userId !== player.userId);
  },
  onMessage: {},
});

/** A feature that hands the test the game-room service (as matchmaking would use it). */
export function serviceProbe(): { feature: ReturnType<typeof defineFeature>; service: () => GameRoomService } {
  let service: GameRoomService | undefined;
  const feature = defineFeature({
    name: 'game-rooms-probe',
    create: ({ services }) => {
      service = services.get('gameRooms');
      return {};
    },
  });
  return {
    feature,
    service: () => {
      if (!service) throw new Error('the server has not started');
      return service;
    },
  };
}

export const TickerState = z.object({ tick: z.number().int(), moves: z.record(z.string(), z.number().int()), restores: z.number().int() });
export type TickerState = z.infer<typeof TickerState>;

export const tickerSlice = defineSlice({
  id: 'ticker',
  title: 'Ticker',
  description: 'A test room that ticks all the time: what a restore loses is counted in ticks.',
  commands: {
    'ticker:move': command(z.object({ roomId: Id, by: z.number().int().min(1).max(10) }), z.object({ moves: z.number() }), {
      description: 'Adds to your count of moves.',
      rateLimit: { ratePerSec: 100, burst: 200 },
    }),
  },
});

/** Every ticker's handle on this process, the restored ones too (set by onRestore). */
export const tickerHandles = new Map<string, RoomHandle<TickerState>>();

const tickerDefinition = {
  state: TickerState,
  slice: tickerSlice,
  onCreate(room: Omit<RoomHandle<TickerState>, 'state'>) {
    tickerHandles.set(room.id, room as RoomHandle<TickerState>);
    return { tick: 0, moves: {}, restores: 0 };
  },
  onJoin(room: RoomHandle<TickerState>, player: RoomPlayer) {
    room.state.moves[player.userId] ??= 0;
  },
  onTick(room: RoomHandle<TickerState>) {
    room.state.tick += 1;
  },
  onMessage: {
    'ticker:move': (room: RoomHandle<TickerState>, player: RoomPlayer, { by }: { by: number }) => ({ moves: (room.state.moves[player.userId] = (room.state.moves[player.userId] ?? 0) + by) }),
  },
};

/** Ticks at 20 Hz, checkpointed every second; a restore counts itself in `restores`. */
export const tickerRoom = defineRoom({
  type: 'ticker',
  ...tickerDefinition,
  limits: { maxPlayers: 4, tickHz: 20, patchIntervalMs: 50, graceMs: 60_000, emptyTtlMs: 60_000, checkpointMs: 1_000 },
  onRestore(room, saved) {
    tickerHandles.set(room.id, room);
    return { ...saved, restores: saved.restores + 1 };
  },
});

/** The same without checkpoints: its node's death closes it (`room:closed` `lost`). */
export const fragileTickerRoom = defineRoom({
  type: 'fragile-ticker',
  ...tickerDefinition,
  slice: defineSlice({ id: 'fragile-ticker', title: 'Fragile ticker', description: 'A ticker without checkpoints.', commands: {} }),
  onMessage: {},
  limits: { maxPlayers: 4, tickHz: 20, graceMs: 60_000, emptyTtlMs: 60_000, checkpointMs: 0 },
});
