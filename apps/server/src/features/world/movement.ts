/**
 * Server-authoritative movement: a move is accepted only if it is finite, inside the zone,
 * and no faster than the zone allows over the server time since the last accepted move.
 * Pure functions, so the rules are tested without sockets.
 */
import type { Zone } from '@tavern/protocol';

export interface Position {
  x: number;
  y: number;
  /** Server time (ms) of the last accepted move or of entering the zone. */
  at: number;
}

export interface MovementRules {
  /** Accepted speed is `maxSpeed * tolerance` (network jitter bunches moves). @default 1.25 */
  tolerance: number;
  /** Elapsed time counted at most this long: standing still does not bank a teleport. @default 500 */
  maxElapsedMs: number;
  /** Elapsed time counted at least this long, so two moves in one packet are not "infinitely fast". @default 50 */
  minElapsedMs: number;
}

export const DEFAULT_MOVEMENT: MovementRules = { tolerance: 1.25, maxElapsedMs: 500, minElapsedMs: 50 };

export type MoveVerdict = { ok: true } | { ok: false; kind: 'not_finite' | 'out_of_bounds' | 'too_fast' };

export function checkMove(zone: Zone, from: Position, to: { x: number; y: number }, now: number, rules: MovementRules = DEFAULT_MOVEMENT): MoveVerdict {
  if (!Number.isFinite(to.x) || !Number.isFinite(to.y)) return { ok: false, kind: 'not_finite' };
  if (to.x < 0 || to.y < 0 || to.x > zone.width || to.y > zone.height) return { ok: false, kind: 'out_of_bounds' };
  const elapsedMs = Math.min(rules.maxElapsedMs, Math.max(rules.minElapsedMs, now - from.at));
  const allowed = zone.maxSpeed * rules.tolerance * (elapsedMs / 1000);
  const distance = Math.hypot(to.x - from.x, to.y - from.y);
  return distance <= allowed ? { ok: true } : { ok: false, kind: 'too_fast' };
}
