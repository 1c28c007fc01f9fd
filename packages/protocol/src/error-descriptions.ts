/** One line of prose per error code, taken from PROTOCOL.md, for the generated documents. */
import type { ErrorCode } from './errors.js';

export const errorCodeDescriptions: Record<ErrorCode, string> = {
  UNAUTHENTICATED: 'No token, or a token that fails verification.',
  TOKEN_EXPIRED: 'The token is past its `exp`.',
  TOKEN_REVOKED: 'The token (or its user) was revoked through the admin API.',
  FORBIDDEN: 'Authenticated, but not allowed to do this.',
  INVALID_PAYLOAD: 'The payload failed validation; `details` holds the issues.',
  RATE_LIMITED: 'Too many events or handshakes; wait `retryAfterMs`.',
  LIMIT_EXCEEDED: 'A cap was reached: rooms per socket, sockets per user, connections per IP.',
  NOT_FOUND: 'The target does not exist.',
  CONFLICT: 'The request clashes with the current state.',
  PRECONDITION_FAILED: 'The action is not possible now (out of turn, not ready, ...).',
  UNAVAILABLE: 'A backing service is down.',
  UNSUPPORTED_VERSION: 'The server cannot speak the protocol version in `auth.v`.',
  INTERNAL: 'An unexpected server error (never with a stack trace).',
};
