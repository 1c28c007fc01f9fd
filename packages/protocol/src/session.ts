/** Session, authentication and system events. */
import { z } from 'zod';
import { Id, Timestamp } from './common.js';
import { command, defineSlice, event } from './define.js';
import { ErrorCodeSchema } from './errors.js';

/** Defined in codes.ts, which needs no zod (`@tavern/protocol/codes`). */
export { PROTOCOL_VERSION } from './codes.js';

export const Role = z.enum(['player', 'moderator', 'admin', 'service']);
export type Role = z.infer<typeof Role>;

/** What a client puts in Socket.IO's `auth` option. */
export const HandshakeAuth = z.object({
  token: z.string().max(8192).optional(),
  /** Protocol version; the server refuses versions it cannot speak with `UNSUPPORTED_VERSION`. */
  v: z.number().int().positive().optional(),
  /** The `sessionId` of a previous `session:ready`, to resume that session after a reconnect. */
  sessionId: Id.optional(),
});
export type HandshakeAuth = z.infer<typeof HandshakeAuth>;

/** The claims Tavern reads from a JWT. */
export const TokenClaims = z.object({
  sub: Id,
  exp: z.number(),
  name: z.string().max(64).optional(),
  cid: Id.optional(),
  roles: z.array(Role).max(8).optional(),
  guilds: z.array(Id).max(64).optional(),
  mmr: z.number().finite().optional(),
  jti: z.string().max(128).optional(),
});
export type TokenClaims = z.infer<typeof TokenClaims>;

export const SessionReady = z.object({
  userId: Id,
  characterId: Id.nullable(),
  name: z.string(),
  sessionId: Id,
  serverTime: Timestamp,
  expiresAt: Timestamp,
  /** True when the server resumed the session named by `auth.sessionId`. */
  recovered: z.boolean(),
});
export type SessionReady = z.infer<typeof SessionReady>;

export const AuthRefreshPayload = z.object({ token: z.string().min(1).max(8192) });
export const AuthRefreshResult = z.object({ expiresAt: Timestamp });

export const AuthExpiring = z.object({ expiresAt: Timestamp });

export const SessionEndReason = z.union([ErrorCodeSchema, z.enum(['SERVER_SHUTDOWN', 'KICKED'])]);
export type SessionEndReason = z.infer<typeof SessionEndReason>;

export const SessionEnded = z.object({ reason: SessionEndReason, message: z.string() });
export type SessionEnded = z.infer<typeof SessionEnded>;

export const ServerShutdown = z.object({ reconnectAfterMs: z.number().int().nonnegative() });

export const TimeSyncPayload = z.object({ clientTime: z.number().finite() });
export const TimeSyncResult = z.object({ clientTime: z.number(), serverTime: Timestamp });

export const ErrorEvent = z.object({ code: ErrorCodeSchema, message: z.string(), event: z.string() });
export type ErrorEvent = z.infer<typeof ErrorEvent>;

export const RateLimited = z.object({ event: z.string(), retryAfterMs: z.number().int().nonnegative() });

export const AnnouncementPriority = z.enum(['info', 'warning', 'critical']);
export const SystemAnnouncement = z.object({
  id: Id,
  message: z.string().min(1).max(2000),
  priority: AnnouncementPriority,
  at: Timestamp,
});
export type SystemAnnouncement = z.infer<typeof SystemAnnouncement>;

export const sessionCommands = {
  'auth:refresh': command(AuthRefreshPayload, AuthRefreshResult, { description: 'Swaps the session token for a fresh one; the new token must have the same `sub`, else `FORBIDDEN`.' }),
  'time:sync': command(TimeSyncPayload, TimeSyncResult, { description: "Echoes the client's clock with the server's, to estimate clock offset and latency." }),
};

export const sessionServerEvents = {
  'session:ready': event(SessionReady, 'Sent after every (re)connect: who you are, the session id to resume, and whether it was recovered.'),
  'auth:expiring': event(AuthExpiring, 'The token expires soon (default 60 s before): send `auth:refresh`.'),
  'session:ended': event(SessionEnded, 'The server is about to disconnect this socket, and why.'),
  'server:shutdown': event(ServerShutdown, 'This node is shutting down gracefully: reconnect after the given delay.'),
  error: event(ErrorEvent, 'A failed signal or ack-less command.'),
  'rate:limited': event(RateLimited, 'An event was refused by the rate limiter where no ack could carry it.'),
  'system:announcement': event(SystemAnnouncement, 'An announcement to everyone, from the admin API.'),
};

export const sessionSlice = defineSlice({
  id: 'session',
  title: 'Session and system',
  description: 'Authentication, clock sync, errors, rate limiting and server-wide messages.',
  commands: sessionCommands,
  serverEvents: sessionServerEvents,
});
