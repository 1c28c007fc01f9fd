/**
 * Tag, the demo's game, as a room type on Tavern's public API: the server owns every position
 * and moves each runner toward the point they chose, 20 times a second; whoever is it tags a
 * runner by touching them, scores, and the tagged runner is it (no tag-backs: not for 1.5 s,
 * and not before the two have been apart). The
 * first runner in an arena is it; when it leaves, the runner with the fewest tags takes over.
 */
import { AppError, defineRoom, type RoomHandle } from '@tavern/server';
import { tagArenaSlice, TagArenaState, tagArenaView } from './tag-arena.contract.js';
import { ARENA } from './tag-arena.size.js';

/** Arena units per second. */
export const SPEED = 180;
/** A touch: the two circles meet. */
const TAG_DISTANCE = 2 * ARENA.radius;
const NO_TAG_BACKS_MS = 1_500;
const SPAWNS: readonly (readonly [number, number])[] = [
  [60, 60],
  [420, 240],
  [420, 60],
  [60, 240],
  [240, 60],
  [240, 240],
  [150, 150],
  [330, 150],
];

/** The next `it` after `leaving` goes: the connected runner with the fewest tags, else anyone. */
function nextIt(state: TagArenaState, leaving: string): string | null {
  const others = Object.entries(state.runners).filter(([id]) => id !== leaving);
  others.sort(([, a], [, b]) => Number(b.connected) - Number(a.connected) || a.tags - b.tags);
  return others[0]?.[0] ?? null;
}

function step(room: RoomHandle<TagArenaState>, deltaMs: number): void {
  const state = room.state;
  const reach = (SPEED * Math.min(deltaMs, 200)) / 1000;
  for (const runner of Object.values(state.runners)) {
    const dx = runner.targetX - runner.x;
    const dy = runner.targetY - runner.y;
    const distance = Math.hypot(dx, dy);
    if (distance === 0) continue;
    const part = Math.min(1, reach / distance);
    // Whole tenths: the patches stay short and the view stays exact JSON.
    runner.x = Math.round((runner.x + dx * part) * 10) / 10;
    runner.y = Math.round((runner.y + dy * part) * 10) / 10;
  }
  const it = state.it === null ? undefined : state.runners[state.it];
  if (!it || !state.it) return;
  if (state.safeMs > 0) state.safeMs = Math.max(0, state.safeMs - Math.round(deltaMs));
  // No tag-backs: the last it stays safe for a moment, and until the two have been apart once.
  const safe = state.safe === null ? undefined : state.runners[state.safe];
  if (state.safe !== null && state.safeMs === 0 && (!safe || Math.hypot(safe.x - it.x, safe.y - it.y) > TAG_DISTANCE)) state.safe = null;
  for (const [id, runner] of Object.entries(state.runners)) {
    if (id === state.it || id === state.safe || !runner.connected) continue;
    if (Math.hypot(runner.x - it.x, runner.y - it.y) > TAG_DISTANCE) continue;
    it.tags += 1;
    state.lastTag = { by: state.it, of: id };
    state.safe = state.it;
    state.safeMs = NO_TAG_BACKS_MS;
    state.it = id;
    return;
  }
}

export const tagArenaRoom = defineRoom({
  type: 'tag-arena',
  state: TagArenaState,
  slice: tagArenaSlice,
  limits: { maxPlayers: SPAWNS.length, tickHz: 20, patchIntervalMs: 50, graceMs: 10_000, emptyTtlMs: 30_000, maxMessageBytes: 256 },
  onCreate(room) {
    room.setMetadata({ game: 'tag' });
    return { it: null, safe: null, safeMs: 0, lastTag: null, runners: {} };
  },
  onJoin(room, player, { rejoin }) {
    const state = room.state;
    const kept = state.runners[player.userId];
    if (rejoin && kept) {
      kept.connected = true;
      return;
    }
    const taken = new Set(Object.values(state.runners).map((runner) => runner.color));
    const color = SPAWNS.findIndex((_, index) => !taken.has(index));
    if (color < 0) throw new AppError('LIMIT_EXCEEDED', 'the arena is full');
    const [x, y] = SPAWNS[color]!;
    state.runners[player.userId] = { name: player.name.slice(0, 32), color, x, y, targetX: x, targetY: y, tags: 0, connected: true };
    state.it ??= player.userId;
  },
  onLeave(room, player, { final }) {
    const state = room.state;
    const runner = state.runners[player.userId];
    if (!runner) return;
    if (!final) {
      runner.connected = false;
      runner.targetX = runner.x;
      runner.targetY = runner.y;
      return;
    }
    if (state.it === player.userId) state.it = nextIt(state, player.userId);
    if (state.safe === player.userId) state.safe = null;
    delete state.runners[player.userId];
  },
  onTick: step,
  onMessage: {
    'tag:target': (room, player, { x, y }) => {
      const runner = room.state.runners[player.userId];
      if (!runner) throw new AppError('NOT_FOUND', 'you are not in this arena');
      runner.targetX = Math.min(ARENA.width - ARENA.radius, Math.max(ARENA.radius, Math.round(x)));
      runner.targetY = Math.min(ARENA.height - ARENA.radius, Math.max(ARENA.radius, Math.round(y)));
      return {};
    },
  },
  view: (state, player) => tagArenaView(state, player.userId),
});
