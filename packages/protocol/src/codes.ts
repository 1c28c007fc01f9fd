/**
 * The protocol's values that need no zod: the error codes, the protocol version, the id
 * pattern and the room-name helpers (`rooms`, `parseRoom`). Clients
 * import them from `@tavern/protocol/codes`, so that a browser bundle does not carry zod and
 * every schema (the main entry re-exports them too).
 */

/** The protocol version this package describes; clients send it as `auth.v`. */
export const PROTOCOL_VERSION = 1;

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

export * from './room-names.js';
