import { Id } from '@tavern/protocol';
import { describe, expect, it } from 'vitest';
import { randomId } from './ids.js';

describe('randomId', () => {
  it('never repeats across pool refills and always fits the protocol id pattern', () => {
    const seen = new Set<string>();
    // 12 bytes each: 2,000 ids cross the 4 KiB pool's refill several times.
    for (let i = 0; i < 2_000; i++) {
      const id = randomId();
      expect(id).toHaveLength(16);
      expect(Id.safeParse(id).success).toBe(true);
      seen.add(id);
    }
    expect(seen.size).toBe(2_000);
  });

  it('takes other lengths, up to the pool size', () => {
    expect(randomId(3)).toHaveLength(4);
    expect(randomId(32)).toHaveLength(43);
    expect(() => randomId(5_000)).toThrow(RangeError);
  });
});
