/** Time source, injectable so that services with deadlines can be driven in tests. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
