/**
 * The two kinds of client event. A command always expects one ack carrying a `Result`;
 * a signal is high-frequency and fire-and-forget (failures come back as `error`).
 */
import type { z } from 'zod';

export interface CommandSchema<P extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  readonly kind: 'command';
  /** Validates what the client sends. */
  readonly payload: P;
  /** Describes the `data` of a successful ack. */
  readonly result: R;
}

export interface SignalSchema<P extends z.ZodType = z.ZodType> {
  readonly kind: 'signal';
  readonly payload: P;
}

export type ClientEventSchema = CommandSchema | SignalSchema;

/** Declares a command: a client event answered by exactly one ack. */
export function command<P extends z.ZodType, R extends z.ZodType>(
  payload: P,
  result: R,
): CommandSchema<P, R> {
  return { kind: 'command', payload, result };
}

/** Declares a signal: a client event with no ack. */
export function signal<P extends z.ZodType>(payload: P): SignalSchema<P> {
  return { kind: 'signal', payload };
}
