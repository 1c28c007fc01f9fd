import { z } from 'zod';

/** Every error code the server may send, in acks, `error` events and `connect_error`. */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  TOKEN_EXPIRED: 'TOKEN_EXPIRED',
  TOKEN_REVOKED: 'TOKEN_REVOKED',
  FORBIDDEN: 'FORBIDDEN',
  INVALID_PAYLOAD: 'INVALID_PAYLOAD',
  RATE_LIMITED: 'RATE_LIMITED',
  LIMIT_EXCEEDED: 'LIMIT_EXCEEDED',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  PRECONDITION_FAILED: 'PRECONDITION_FAILED',
  UNAVAILABLE: 'UNAVAILABLE',
  UNSUPPORTED_VERSION: 'UNSUPPORTED_VERSION',
  INTERNAL: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

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
