/**
 * The wire side of the demo's game, Tag: its one message, its state and what each player sees
 * of it. The page imports the types only (nothing of zod reaches the bundle); the demo server
 * runs the room (`tag-arena.room.ts`).
 */
import { builtInSlices, command, defineContract, defineSlice, gameRoomSlice, Id } from '@tavern/protocol';
import { z } from 'zod';
import { ARENA } from './tag-arena.size.js';

export const tagArenaSlice = defineSlice({
  id: 'tag-arena',
  title: 'Tag arena',
  description: "The demo's game: players run around an arena; whoever is it passes it on by touching another player.",
  commands: {
    'tag:target': command(
      z.object({ roomId: Id, x: z.number().finite().min(0).max(ARENA.width), y: z.number().finite().min(0).max(ARENA.height) }),
      z.object({}),
      { description: 'Runs toward a point of the arena (the server moves you there at its speed).', rateLimit: { ratePerSec: 10, burst: 20 } },
    ),
  },
});

export const Runner = z.object({
  name: z.string(),
  /** Index into the page's palette, fixed for the seat. */
  color: z.number().int().min(0).max(7),
  x: z.number(),
  y: z.number(),
  /** Where the runner is heading: only the runner's own view has it. */
  targetX: z.number(),
  targetY: z.number(),
  /** How many times this runner tagged someone. */
  tags: z.number().int().nonnegative(),
  connected: z.boolean(),
});

export type Runner = z.infer<typeof Runner>;

export const TagArenaState = z.object({
  /** The userId of who is it; null in an empty arena. */
  it: z.string().nullable(),
  /** The runner who was it last may not be tagged back while `safeMs` runs down. */
  safe: z.string().nullable(),
  safeMs: z.number().int().nonnegative(),
  lastTag: z.object({ by: z.string(), of: z.string() }).nullable(),
  runners: z.record(z.string(), Runner),
});
export type TagArenaState = z.infer<typeof TagArenaState>;

/** What one player receives: every runner without their target, and the player's own target. */
export function tagArenaView(state: TagArenaState, userId: string) {
  // Listed field by field: a field added to Runner later stays on the server until added here.
  const runners: Record<string, Omit<Runner, 'targetX' | 'targetY'>> = {};
  for (const [id, { name, color, x, y, tags, connected }] of Object.entries(state.runners)) runners[id] = { name, color, x, y, tags, connected };
  const own = state.runners[userId];
  return { it: state.it, safe: state.safe, lastTag: state.lastTag, runners, target: own ? { x: own.targetX, y: own.targetY } : null };
}
export type TagArenaView = ReturnType<typeof tagArenaView>;

/** What the demo page speaks: the built-in events, the game rooms and Tag. */
export const demoContract = defineContract(...builtInSlices, gameRoomSlice, tagArenaSlice);
export type DemoContract = typeof demoContract;
