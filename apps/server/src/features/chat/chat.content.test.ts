import { describe, expect, it } from 'vitest';
import { contentKey } from './chat.content.js';

describe('contentKey', () => {
  it('is the same for the same sender and content in any case', () => {
    expect(contentKey('alice', 'Hello There')).toBe(contentKey('alice', 'hello there'));
  });

  it('differs by sender and by content', () => {
    expect(contentKey('alice', 'hello')).not.toBe(contentKey('bob', 'hello'));
    expect(contentKey('alice', 'hello')).not.toBe(contentKey('alice', 'hello!'));
    // The separator keeps "ab" + "c" apart from "a" + "bc".
    expect(contentKey('ab', 'c')).not.toBe(contentKey('a', 'bc'));
  });

  it('gives 100,000 similar messages 100,000 keys', () => {
    const keys = new Set<string>();
    for (let i = 0; i < 100_000; i++) keys.add(contentKey(`user-${i % 100}`, `message number ${i}`));
    expect(keys.size).toBe(100_000);
  });
});
