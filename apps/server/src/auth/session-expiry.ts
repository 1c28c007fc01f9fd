/**
 * One timer per socket: it fires `auth:expiring` shortly before the token expires, then
 * ends the session with `TOKEN_EXPIRED` at expiry (plus the clock tolerance the verifier
 * allows). `auth:refresh` re-arms it with the new expiry.
 */
import { ErrorCode } from '@tavern/protocol';
import type { TavernSocket } from '../transport/socket-types.js';

const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * Kept beside the socket, not in `socket.data`: the cluster adapter serializes `data` for
 * `fetchSockets` on other nodes, and a timer is neither serializable nor theirs.
 */
const timers = new WeakMap<TavernSocket, NodeJS.Timeout>();

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
      timers.delete(socket);
      options.endSession(socket, ErrorCode.TOKEN_EXPIRED, 'token expired; reconnect with a fresh token');
      return;
    }
    if (!warned && now >= warnAt) {
      warned = true;
      socket.emit('auth:expiring', { expiresAt });
    }
    const next = warned ? endAt : warnAt;
    const timer = setTimeout(step, Math.min(Math.max(next - now, 0), MAX_TIMEOUT_MS));
    timer.unref();
    timers.set(socket, timer);
  };
  step();
}

export function clearExpiry(socket: TavernSocket): void {
  clearTimeout(timers.get(socket));
  timers.delete(socket);
}
