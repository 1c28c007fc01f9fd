/**
 * Debounced typing indicator for one channel: call `keystroke()` on every key press. It
 * sends `typing: true` once, refreshes it before the server's 5 s expiry while keys keep
 * coming, and sends `typing: false` after `idleMs` without a key (or on `stop()`, e.g.
 * when the message is sent).
 *
 * @example
 * const typing = createTypingNotifier(client, 'global:main');
 * input.addEventListener('input', () => typing.keystroke());
 * form.addEventListener('submit', () => typing.stop());
 */
import type { TavernClient } from './create-client.js';

export interface TypingNotifierOptions {
  /** No key for this long ends the indicator. @default 3000 */
  idleMs?: number;
  /** While typing, `typing: true` is re-sent this often (the server expires it after 5 s). @default 3000 */
  refreshMs?: number;
}

export interface TypingNotifier {
  keystroke(): void;
  stop(): void;
}

export function createTypingNotifier(client: TavernClient, channelId: string, options: TypingNotifierOptions = {}): TypingNotifier {
  const idleMs = options.idleMs ?? 3_000;
  const refreshMs = options.refreshMs ?? 3_000;
  let lastSent = 0;
  let idleTimer: ReturnType<typeof setTimeout> | null = null;

  function stop(): void {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = null;
    if (lastSent === 0) return;
    lastSent = 0;
    client.signal('chat:typing', { channelId, typing: false });
  }

  return {
    keystroke() {
      const now = Date.now();
      if (now - lastSent >= refreshMs && client.signal('chat:typing', { channelId, typing: true })) lastSent = now;
      if (idleTimer) clearTimeout(idleTimer);
      idleTimer = setTimeout(stop, idleMs);
    },
    stop,
  };
}
