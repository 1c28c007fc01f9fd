/**
 * One timer per socket: it fires `auth:expiring` shortly before the token expires, then
 * ends the session with `TOKEN_EXPIRED` at expiry (plus the clock tolerance the verifier
 * allows). `auth:refresh` re-arms it with the new expiry.
 */
import { ErrorCode } from '@tavern/protocol';
import type { TavernSocket } from '../transport/socket-types.js';

const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export interface ExpiryOptions {
  warningMs: number;
  toleranceMs: number;
  endSession: (socket: TavernSocket, reason: ErrorCode, message: string) => void;
}

export function armExpiry(socket: TavernSocket, options: ExpiryOptions): void {
  clearExpiry(socket);
  const { expiresAt } = socket.data;
  const endAt = expiresAt + options.toleranceMs;
  const warnAt = expiresAt - options.warningMs;
  let warned = false;

  const step = () => {
    if (!socket.connected) return;
    const now = Date.now();
    if (now >= endAt) {
      socket.data.expiryTimer = null;
      options.endSession(socket, ErrorCode.TOKEN_EXPIRED, 'token expired; reconnect with a fresh token');
      return;
    }
    if (!warned && now >= warnAt) {
      warned = true;
      socket.emit('auth:expiring', { expiresAt });
    }
    const next = warned ? endAt : warnAt;
    socket.data.expiryTimer = setTimeout(step, Math.min(Math.max(next - now, 0), MAX_TIMEOUT_MS));
    socket.data.expiryTimer.unref();
  };
  step();
}

export function clearExpiry(socket: TavernSocket): void {
  if (socket.data.expiryTimer) clearTimeout(socket.data.expiryTimer);
  socket.data.expiryTimer = null;
}
