/**
 * The bench game as a Tavern room type, through the public API a studio uses: a zod state,
 * its own slice (the input is a signal, validated and rate-limited like every event), a
 * 20 Hz tick that applies the queued inputs and the default JSON Patch sync every 50 ms.
 * The queues are the server's own (not state): they are never synced.
 */
import { defineContract, defineSlice, builtInSlices, gameRoomSlice, Id, signal } from '@tavern/protocol';
import { defineRoom } from '@tavern/server';
import { z } from 'zod';
import { applyInputs, MAX_PLAYERS, MAX_STEP, PATCH_MS, ROOM_TYPE, spawnPoint, TAVERN_INPUT, TICK_HZ, type Input } from './game.js';

const Step = z.number().int().min(-MAX_STEP).max(MAX_STEP);

export const benchSlice = defineSlice({
  id: 'bench-arena',
  title: 'Bench arena',
  description: 'The game of the bench scenario 7: players move on a field and score one point per input applied.',
  signals: {
    [TAVERN_INPUT]: signal(z.object({ roomId: Id, dx: Step, dy: Step }), {
      description: 'One input: a step on each axis, applied at the next tick.',
      // Ten inputs a second is the game's rate; the bucket leaves room for jitter.
      rateLimit: { ratePerSec: 40, burst: 80 },
    }),
  },
});

/** The contract the bench's Tavern clients are typed by. */
export const benchContract = defineContract(...builtInSlices, gameRoomSlice, benchSlice);

export const BenchState = z.object({
  players: z.record(z.string(), z.object({ x: z.number().int(), y: z.number().int(), score: z.number().int() })),
});
export type BenchState = z.infer<typeof BenchState>;

/** Each room's input queues, by user id. */
const queues = new Map<string, Map<string, Input[]>>();

export const benchRoom = defineRoom({
  type: ROOM_TYPE,
  state: BenchState,
  slice: benchSlice,
  limits: { maxPlayers: MAX_PLAYERS, tickHz: TICK_HZ, patchIntervalMs: PATCH_MS },
  onCreate(room) {
    queues.set(room.id, new Map());
    return { players: {} };
  },
  onJoin(room, player) {
    const state = room.state;
    state.players[player.userId] ??= spawnPoint(Object.keys(state.players).length);
    queues.get(room.id)?.set(player.userId, []);
  },
  onLeave(room, player, { final }) {
    if (!final) return;
    delete room.state.players[player.userId];
    queues.get(room.id)?.delete(player.userId);
  },
  onMessage: {
    [TAVERN_INPUT]: (room, player, { dx, dy }) => {
      queues.get(room.id)?.get(player.userId)?.push({ dx, dy });
    },
  },
  onTick(room) {
    const players = room.state.players;
    for (const [userId, queue] of queues.get(room.id) ?? []) {
      const position = players[userId];
      if (position && queue.length > 0) applyInputs(position, queue);
    }
  },
  onDispose(room) {
    queues.delete(room.id);
  },
});
