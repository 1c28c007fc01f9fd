/** What a handler gets besides its payload: the socket, its user, and a logger for them. */
import type { Logger } from '../platform/logger.js';
import type { AuthUser, TavernSocket } from './socket-types.js';

export interface HandlerContext {
  socket: TavernSocket;
  user: AuthUser;
  /** A child logger bound to this socket and event (made on first use). */
  readonly logger: Logger;
}
