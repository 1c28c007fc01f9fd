import type { Zone } from '@tavern/protocol';
import { describe, expect, it } from 'vitest';
import { checkMove } from './movement.js';

const zone: Zone = { id: 'z', name: 'Z', width: 100, height: 100, spawn: { x: 50, y: 50 }, maxSpeed: 10 };
const from = { x: 50, y: 50, at: 1_000 };

describe('checkMove', () => {
  it('accepts a move within speed and bounds', () => {
    expect(checkMove(zone, from, { x: 52, y: 51 }, 1_200)).toEqual({ ok: true });
  });

  it.each([NaN, Infinity, -Infinity])('refuses %s', (value) => {
    expect(checkMove(zone, from, { x: value, y: 50 }, 1_200)).toEqual({ ok: false, kind: 'not_finite' });
    expect(checkMove(zone, from, { x: 50, y: value }, 1_200)).toEqual({ ok: false, kind: 'not_finite' });
  });

  it('refuses leaving the zone', () => {
    expect(checkMove(zone, { x: 99, y: 50, at: 0 }, { x: 100.5, y: 50 }, 500)).toEqual({ ok: false, kind: 'out_of_bounds' });
    expect(checkMove(zone, { x: 1, y: 1, at: 0 }, { x: -0.1, y: 1 }, 500)).toEqual({ ok: false, kind: 'out_of_bounds' });
  });

  it('refuses a move faster than the zone allows, and does not bank idle time', () => {
    // 10 units/s * 1.25 over 200 ms = 2.5 units.
    expect(checkMove(zone, from, { x: 53, y: 50 }, 1_200)).toEqual({ ok: false, kind: 'too_fast' });
    // After a minute standing still, still at most 0.5 s worth of movement.
    expect(checkMove(zone, from, { x: 57, y: 50 }, 61_000)).toEqual({ ok: false, kind: 'too_fast' });
    expect(checkMove(zone, from, { x: 56, y: 50 }, 61_000)).toEqual({ ok: true });
  });
});
