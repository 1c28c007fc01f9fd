import type { SessionEndReason } from '@tavern/protocol';
import type { TavernSocket } from '../transport/socket-types.js';

/**
 * Tells the client why, then disconnects it. Engine.IO flushes the `session:ended` packet
 * before it closes the transport.
 */
export function endSession(socket: TavernSocket, reason: SessionEndReason, message: string): void {
  if (!socket.connected) return;
  socket.emit('session:ended', { reason, message });
  socket.disconnect(true);
}
