import { ErrorCode } from '@tavern/protocol';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../transport/app-error.js';
import { ChannelRateLimiter } from './channel-rate.js';

function refusal(run: () => void): AppError | null {
  try {
    run();
    return null;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
}

describe('ChannelRateLimiter', () => {
  it('allows a two-second burst, then refuses with a retry hint until tokens refill', () => {
    const limiter = new ChannelRateLimiter(10);
    for (let i = 0; i < 20; i++) limiter.take('guild:g', 1_000);
    const refused = refusal(() => limiter.take('guild:g', 1_000));
    expect(refused?.code).toBe(ErrorCode.RATE_LIMITED);
    expect(refused?.retryAfterMs).toBe(100);
    // A refusal takes nothing: 100 ms later exactly one token is back.
    expect(refusal(() => limiter.take('guild:g', 1_100))).toBeNull();
    expect(refusal(() => limiter.take('guild:g', 1_100))?.code).toBe(ErrorCode.RATE_LIMITED);
    // Other channels have their own allowance.
    expect(refusal(() => limiter.take('guild:h', 1_100))).toBeNull();
  });

  it('drops idle buckets past its bound but keeps a busy channel spent', () => {
    const limiter = new ChannelRateLimiter(10, 100);
    for (let i = 0; i < 99; i++) limiter.take(`room:idle-${i}`, 1_000);
    for (let i = 0; i < 20; i++) limiter.take('guild:busy', 5_000);
    expect(limiter.tracked).toBe(100);
    // A new channel at the bound sweeps the idle ones, not the busy one.
    limiter.take('room:new', 5_000);
    expect(limiter.tracked).toBe(2);
    expect(refusal(() => limiter.take('guild:busy', 5_000))?.code).toBe(ErrorCode.RATE_LIMITED);
  });
});
