/** What a handler gets besides its payload: the socket, its user, and a logger for them. */
import type { Logger } from '../platform/logger.js';
import type { AuthUser, TavernSocket } from './socket-types.js';

export interface HandlerContext {
  socket: TavernSocket;
  user: AuthUser;
  /** A child logger bound to this socket and event (made on first use). */
  readonly logger: Logger;
  /**
   * Runs `effect` once the command's ack has been sent, and only if it succeeded: for events
   * a command causes for its own sender, which PROTOCOL.md orders after the ack
   * (`→ {} then lobby:started`). For a signal it runs after the handler returns.
   */
  afterAck(effect: () => void): void;
}
