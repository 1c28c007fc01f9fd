import { z } from 'zod';
import { ErrorCode } from './codes.js';

/** Defined in codes.ts, which needs no zod (`@tavern/protocol/codes`). */
export { ErrorCode } from './codes.js';

export const ErrorCodeSchema = z.enum(ErrorCode);

export const ErrorPayload = z.object({
  code: ErrorCodeSchema,
  message: z.string(),
  /** Present with `RATE_LIMITED`: how long to wait before trying again. */
  retryAfterMs: z.number().int().nonnegative().optional(),
  /** Extra machine-readable context, e.g. the validation issues of `INVALID_PAYLOAD`. */
  details: z.unknown().optional(),
});
export type ErrorPayload = z.infer<typeof ErrorPayload>;

/** What every ack carries. */
export type Result<T> = { ok: true; data: T } | { ok: false; error: ErrorPayload };

/** The schema of `Result<T>` for a given data schema (used for JSON Schema export and tests). */
export function resultSchema<T extends z.ZodType>(data: T) {
  return z.discriminatedUnion('ok', [
    z.object({ ok: z.literal(true), data }),
    z.object({ ok: z.literal(false), error: ErrorPayload }),
  ]);
}

export function ok<T>(data: T): Result<T> {
  return { ok: true, data };
}

export function fail(code: ErrorCode, message: string, extra?: { retryAfterMs?: number; details?: unknown }): Result<never> {
  return { ok: false, error: { code, message, ...extra } };
}
