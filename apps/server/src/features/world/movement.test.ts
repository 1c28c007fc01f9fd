import type { Zone } from '@tavern/protocol';
import { describe, expect, it } from 'vitest';
import { checkMove, DEFAULT_MOVEMENT, type Position } from './movement.js';

// 10 units/s * 1.25 tolerance = 12.5 units/s of budget, capped at 250 ms worth = 3.125 units.
const zone: Zone = { id: 'z', name: 'Z', width: 100, height: 100, spawn: { x: 50, y: 50 }, maxSpeed: 10 };
const from: Position = { x: 50, y: 50, at: 1_000, budget: 0 };

describe('checkMove', () => {
  it('accepts a move within speed and bounds, and spends its distance', () => {
    const verdict = checkMove(zone, from, { x: 52, y: 50 }, 1_200);
    expect(verdict).toEqual({ ok: true, pos: { x: 52, y: 50, at: 1_200, budget: 0.5 } });
  });

  it.each([NaN, Infinity, -Infinity])('refuses %s', (value) => {
    expect(checkMove(zone, from, { x: value, y: 50 }, 1_200)).toMatchObject({ ok: false, kind: 'not_finite', pos: from });
    expect(checkMove(zone, from, { x: 50, y: value }, 1_200)).toMatchObject({ ok: false, kind: 'not_finite', pos: from });
  });

  it('refuses leaving the zone', () => {
    expect(checkMove(zone, { x: 99, y: 50, at: 0 }, { x: 100.5, y: 50 }, 500)).toMatchObject({ ok: false, kind: 'out_of_bounds' });
    expect(checkMove(zone, { x: 1, y: 1, at: 0 }, { x: -0.1, y: 1 }, 500)).toMatchObject({ ok: false, kind: 'out_of_bounds' });
  });

  it('refuses a move faster than the zone allows, and does not bank idle time', () => {
    // 200 ms refill 2.5 units.
    expect(checkMove(zone, from, { x: 53, y: 50 }, 1_200)).toMatchObject({ ok: false, kind: 'too_fast', pos: { x: 50, y: 50 } });
    // After a minute standing still, still at most 250 ms worth of movement.
    expect(checkMove(zone, from, { x: 53.2, y: 50 }, 61_000)).toMatchObject({ ok: false, kind: 'too_fast' });
    expect(checkMove(zone, from, { x: 53.1, y: 50 }, 61_000)).toMatchObject({ ok: true });
  });

  it('a burst of moves in one instant cannot go further than the budget (movement burst)', () => {
    // The old rules granted each move of a burst 50 ms of travel: 40 moves went 40x as far.
    let pos: Position = { x: 10, y: 50, at: 1_000 };
    let accepted = 0;
    for (let i = 0; i < 40; i++) {
      const verdict = checkMove(zone, pos, { x: pos.x + 0.6, y: 50 }, 1_000);
      if (verdict.ok) accepted++;
      pos = verdict.pos;
    }
    expect(accepted).toBe(5); // 3.125 units of budget / 0.6 per step
    expect(pos.x - 10).toBeLessThanOrEqual((zone.maxSpeed * DEFAULT_MOVEMENT.tolerance * DEFAULT_MOVEMENT.burstMs) / 1000);
  });

  it('a refused move spends nothing, and the budget refills with real time', () => {
    const refused = checkMove(zone, from, { x: 60, y: 50 }, 1_100);
    expect(refused.ok).toBe(false);
    expect(refused.pos.budget).toBeCloseTo(1.25);
    expect(checkMove(zone, refused.pos, { x: 51.2, y: 50 }, 1_100)).toMatchObject({ ok: true });
  });

  it('never corrects moves at max speed on a steady or jittery tick', () => {
    const wide = { ...zone, width: 10_000 };
    for (const tickMs of [50, 100, 200]) {
      let pos: Position = { x: 0, y: 50, at: 0 };
      let now = 0;
      for (let i = 0; i < 200; i++) {
        // Jitter: ticks arrive up to 40 ms late, then bunched early.
        now += tickMs + (i % 2 === 0 ? 40 : -40);
        const step = (zone.maxSpeed * tickMs) / 1000;
        const verdict = checkMove(wide, pos, { x: pos.x + step, y: 50 }, now);
        expect(verdict.ok).toBe(true);
        pos = verdict.pos;
      }
    }
  });
});
