import { ErrorCode, type ErrorPayload } from '@tavern/protocol';
import type { z } from 'zod';

/**
 * The one error type services throw. `defineHandler` turns it into an ack with its code;
 * any other error becomes `INTERNAL` and is logged with its stack, never sent.
 *
 * @example
 * throw new AppError('FORBIDDEN', 'only the host may kick');
 */
export class AppError extends Error {
  readonly retryAfterMs: number | undefined;
  readonly details: unknown;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: { retryAfterMs?: number; details?: unknown; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.retryAfterMs = options.retryAfterMs;
    this.details = options.details;
  }

  toPayload(): ErrorPayload {
    return {
      code: this.code,
      message: this.message,
      ...(this.retryAfterMs !== undefined && { retryAfterMs: this.retryAfterMs }),
      ...(this.details !== undefined && { details: this.details }),
    };
  }
}

export const notFound = (what: string) => new AppError(ErrorCode.NOT_FOUND, `${what} not found`);
export const forbidden = (message: string) => new AppError(ErrorCode.FORBIDDEN, message);
export const precondition = (message: string) => new AppError(ErrorCode.PRECONDITION_FAILED, message);
export const conflict = (message: string) => new AppError(ErrorCode.CONFLICT, message);
export const invalid = (message: string, details?: unknown) =>
  new AppError(ErrorCode.INVALID_PAYLOAD, message, details === undefined ? {} : { details });

/** A zod failure as `INVALID_PAYLOAD`, with at most ten issues as details. */
export function fromZodError(error: z.ZodError, what = 'payload'): AppError {
  const issues = error.issues.slice(0, 10).map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  const first = issues[0];
  const summary = first ? `${first.path || what}: ${first.message}` : 'invalid';
  return new AppError(ErrorCode.INVALID_PAYLOAD, `invalid ${what}: ${summary}`, { details: { issues } });
}
