import { describe, expect, it } from 'vitest';
import { KeyedTokenBuckets } from './rate-limiter.js';

describe('KeyedTokenBuckets', () => {
  it('allows a two-second burst, then refuses with the wait until tokens refill', () => {
    let now = 1_000;
    const buckets = new KeyedTokenBuckets(10, 2, 10_000, () => now);
    for (let i = 0; i < 20; i++) expect(buckets.take('guild:g')).toBe(0);
    expect(buckets.take('guild:g')).toBe(100);
    // A refusal takes nothing: 100 ms later exactly one token is back.
    now = 1_100;
    expect(buckets.take('guild:g')).toBe(0);
    expect(buckets.take('guild:g')).toBeGreaterThan(0);
    // Other keys have their own allowance.
    expect(buckets.take('guild:h')).toBe(0);
  });

  it('drops idle buckets past its bound but keeps a busy key spent', () => {
    let now = 1_000;
    const buckets = new KeyedTokenBuckets(10, 2, 100, () => now);
    for (let i = 0; i < 99; i++) buckets.take(`room:idle-${i}`);
    now = 5_000;
    for (let i = 0; i < 20; i++) buckets.take('guild:busy');
    expect(buckets.size).toBe(100);
    // A new key at the bound sweeps the idle ones, not the busy one.
    buckets.take('room:new');
    expect(buckets.size).toBe(2);
    expect(buckets.take('guild:busy')).toBeGreaterThan(0);
  });
});
