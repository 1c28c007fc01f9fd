/**
 * The per-channel message allowance on this node: a token bucket per channel, `ratePerSec`
 * refilled continuously, bursts up to two seconds' worth. A bucket that has not been touched
 * for those two seconds is full again, i.e. the same as no bucket, so once more than
 * `maxTracked` channels hold one, idle buckets are dropped; busy channels keep theirs.
 */
import { ErrorCode } from '@tavern/protocol';
import { AppError } from '../../transport/app-error.js';

const BURST_SECONDS = 2;

export class ChannelRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly ratePerSec: number,
    private readonly maxTracked = 10_000,
  ) {}

  /** Takes one message's token for `channelId`, or throws RATE_LIMITED and takes nothing. */
  take(channelId: string, now = Date.now()): void {
    const capacity = this.ratePerSec * BURST_SECONDS;
    let bucket = this.buckets.get(channelId);
    if (!bucket) {
      if (this.buckets.size >= this.maxTracked) this.sweep(now);
      bucket = { tokens: capacity, at: now };
      this.buckets.set(channelId, bucket);
    }
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.at) / 1000) * this.ratePerSec);
    bucket.at = now;
    if (bucket.tokens < 1) {
      const retryAfterMs = Math.ceil(((1 - bucket.tokens) / this.ratePerSec) * 1000);
      throw new AppError(ErrorCode.RATE_LIMITED, `${channelId} is receiving too many messages`, { retryAfterMs });
    }
    bucket.tokens -= 1;
  }

  /** Channels with a bucket (for tests and figures). */
  get tracked(): number {
    return this.buckets.size;
  }

  private sweep(now: number): void {
    for (const [channelId, bucket] of this.buckets) {
      if (now - bucket.at >= BURST_SECONDS * 1000) this.buckets.delete(channelId);
    }
  }
}
