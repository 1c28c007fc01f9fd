import type { ClientToServerEvents, NodeMetrics, NodeRooms, NodeStats, Role, RoomsQuery, ServerToClientEvents } from '@tavern/protocol';
import type { Server, Socket } from 'socket.io';
import type { RateLimitState } from './rate-limiter.js';

/** Who is on the other end of a socket, from the verified token. */
export interface AuthUser {
  userId: string;
  name: string;
  characterId: string | null;
  roles: readonly Role[];
  guilds: readonly string[];
  mmr: number | null;
  jti: string | null;
  /** `iat` of the token in seconds, when present. */
  issuedAt: number | null;
}

/**
 * Everything Tavern keeps per socket, in Socket.IO's typed `socket.data`. It must stay plain
 * data: other nodes receive it through `fetchSockets`.
 */
export interface SocketData extends RateLimitState {
  user: AuthUser;
  sessionId: string;
  recovered: boolean;
  /** Epoch ms at which the current token expires. */
  expiresAt: number;
  connectedAt: number;
  /** Epoch ms of the last client event; presence uses it for auto-away. */
  lastActivityAt: number;
  ip: string;
  /** True while the socket is in the cluster-wide registry. */
  registered: boolean;
}

/** Events between the nodes of a cluster (Socket.IO `serverSideEmit`). */
export interface InterServerEvents {
  /** A token or all of a user's tokens were revoked: end the matching local sockets. */
  'tavern:revoked': (revocation: { jti?: string; userId?: string; revokedAt: number }) => void;
  /** Asks every other node for its figures (admin stats). */
  'tavern:stats': (ack: (stats: NodeStats) => void) => void;
  /** Asks every other node for its rooms by kind and its busiest rooms (admin rooms). */
  'tavern:rooms': (query: RoomsQuery, ack: (rooms: NodeRooms) => void) => void;
  /** Asks every other node for its refusal and limit counters (admin metrics summary). */
  'tavern:metrics': (ack: (metrics: NodeMetrics) => void) => void;
}

export type TavernServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type TavernSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

export function hasRole(user: AuthUser, ...roles: Role[]): boolean {
  return user.roles.some((role) => roles.includes(role));
}

/** The id of the user's character in the world: the token's character, else the user itself. */
export const characterIdOf = (user: AuthUser): string => user.characterId ?? user.userId;
