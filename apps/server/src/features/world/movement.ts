/**
 * Server-authoritative movement: a move is accepted only if it is finite, inside the zone,
 * and paid for from a travel budget: a token bucket of distance refilled at the zone's
 * `maxSpeed * tolerance` per second of server time and capped at `burstMs` worth, so network
 * jitter that bunches moves is absorbed but a burst cannot go faster than real time allows
 * and standing still does not bank a teleport. Pure functions, so the rules are tested
 * without sockets.
 */
import type { Zone } from '@tavern/protocol';

export interface Position {
  x: number;
  y: number;
  /** Server time (ms) of the last move (accepted or refused) or of entering the zone. */
  at: number;
  /** Distance the character may still travel at `at`; absent means a full budget (just entered). */
  budget?: number;
}

export interface MovementRules {
  /** The budget refills at `maxSpeed * tolerance` per second (network jitter bunches moves). @default 1.25 */
  tolerance: number;
  /** The budget holds at most this long (ms) of travel: the largest burst a client can send. @default 250 */
  burstMs: number;
}

export const DEFAULT_MOVEMENT: MovementRules = { tolerance: 1.25, burstMs: 250 };

export type MoveVerdict = { ok: true; pos: Position } | { ok: false; kind: 'not_finite' | 'out_of_bounds' | 'too_fast'; pos: Position };

/** The budget available at `now`: refilled for the time since `from.at`, never above the cap. */
export function budgetAt(zone: Zone, from: Position, now: number, rules: MovementRules = DEFAULT_MOVEMENT): number {
  const rate = zone.maxSpeed * rules.tolerance;
  const cap = (rate * rules.burstMs) / 1000;
  if (from.budget === undefined) return cap;
  const elapsedMs = Math.max(0, now - from.at);
  return Math.min(cap, from.budget + (rate * elapsedMs) / 1000);
}

/**
 * Checks a move from `from` to `to` at server time `now`. Either way `pos` is the character's
 * position afterwards: the target with the distance spent from the budget, or (refused) the
 * same place with the budget refilled to `now` and nothing spent.
 */
export function checkMove(zone: Zone, from: Position, to: { x: number; y: number }, now: number, rules: MovementRules = DEFAULT_MOVEMENT): MoveVerdict {
  if (!Number.isFinite(to.x) || !Number.isFinite(to.y)) return { ok: false, kind: 'not_finite', pos: from };
  const budget = budgetAt(zone, from, now, rules);
  const stay = { x: from.x, y: from.y, at: Math.max(from.at, now), budget };
  if (to.x < 0 || to.y < 0 || to.x > zone.width || to.y > zone.height) return { ok: false, kind: 'out_of_bounds', pos: stay };
  const distance = Math.hypot(to.x - from.x, to.y - from.y);
  if (distance > budget) return { ok: false, kind: 'too_fast', pos: stay };
  return { ok: true, pos: { x: to.x, y: to.y, at: stay.at, budget: budget - distance } };
}
