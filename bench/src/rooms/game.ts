/**
 * The game both room servers run (scenario 7), in one place so that Tavern's room type and
 * the Colyseus room cannot drift: players on a 1,000 × 1,000 field with integer x/y and a
 * score. A player's input (a step of at most `MAX_STEP` on each axis) is queued when it
 * arrives and applied at the next tick: the position moves (clamped to the field) and the
 * score counts the inputs applied, so a client knows which of its inputs the state it holds
 * includes.
 */

export const FIELD = 1_000;
export const MAX_STEP = 10;
/** The room's simulation tick. */
export const TICK_HZ = 20;
/** How often each server sends what changed. */
export const PATCH_MS = 50;
/** Seats per room on both servers (the larger of the two sizes measured). */
export const MAX_PLAYERS = 64;
/** The room type's name on both servers. */
export const ROOM_TYPE = 'bench-arena';
/** The input message's name: `bench:input` is Tavern's event (a signal), `input` Colyseus's message type. */
export const TAVERN_INPUT = 'bench:input';
export const COLYSEUS_INPUT = 'input';

export interface Position {
  x: number;
  y: number;
  score: number;
}

export interface Input {
  dx: number;
  dy: number;
}

/** Where player `index` of a room starts (spread over the field, the same on both servers). */
export function spawnPoint(index: number): Position {
  return { x: (index * 97) % FIELD, y: (index * 61) % FIELD, score: 0 };
}

export function isInput(value: unknown): value is Input {
  if (typeof value !== 'object' || value === null) return false;
  const { dx, dy } = value as Record<string, unknown>;
  return Number.isInteger(dx) && Number.isInteger(dy) && Math.abs(dx as number) <= MAX_STEP && Math.abs(dy as number) <= MAX_STEP;
}

const clamp = (value: number) => (value < 0 ? 0 : value > FIELD ? FIELD : value);

/** Applies every queued input of one player, in order, and empties the queue. */
export function applyInputs(player: Position, queue: Input[]): void {
  for (const input of queue) {
    player.x = clamp(player.x + input.dx);
    player.y = clamp(player.y + input.dy);
    player.score += 1;
  }
  queue.length = 0;
}

/**
 * The `n`-th input of a bot: it walks back and forth on both axes (different periods), so x
 * and y change with almost every input, as in a game where players keep moving.
 */
export function botInput(bot: number, n: number): Input {
  const phase = n + bot * 7;
  return { dx: Math.floor(phase / 40) % 2 === 0 ? 7 : -7, dy: Math.floor(phase / 25) % 2 === 0 ? 4 : -4 };
}
