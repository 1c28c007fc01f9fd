import { afterEach, describe, expect, it } from 'vitest';
import { DistributedLimiter } from './distributed-limiter.js';

describe('DistributedLimiter without Redis', () => {
  let limiter: DistributedLimiter | undefined;
  afterEach(() => limiter?.stop());

  it('is a local token bucket per key and rule: a burst, then the wait until a token refills', () => {
    let now = 1_000;
    limiter = new DistributedLimiter({
      scope: 'user',
      redis: null,
      now: () => now,
      rules: [
        { name: 'default', ratePerSec: 10, burst: 3 },
        { name: 'chat:send', ratePerSec: 1, burst: 1 },
      ],
    });
    for (let i = 0; i < 3; i++) expect(limiter.take('alice', 0)).toBe(0);
    expect(limiter.take('alice', 0)).toBe(100);
    // Each rule and each key has its own bucket.
    expect(limiter.take('alice', 1)).toBe(0);
    expect(limiter.take('alice', 1)).toBe(1_000);
    expect(limiter.take('bob', 0)).toBe(0);
    now += 100;
    expect(limiter.take('alice', 0)).toBe(0);
    expect(limiter.take('alice', 0)).toBeGreaterThan(0);
  });

  it('acquire never waits without Redis', async () => {
    limiter = new DistributedLimiter({ scope: 'ip', redis: null, rules: [{ name: 'handshake', ratePerSec: 0.001, burst: 2 }] });
    expect(await limiter.acquire('203.0.113.1', 0)).toBe(0);
    expect(await limiter.acquire('203.0.113.1', 0)).toBe(0);
    expect(await limiter.acquire('203.0.113.1', 0)).toBeGreaterThan(0);
  });
});
