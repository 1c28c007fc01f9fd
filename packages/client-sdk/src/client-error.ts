/**
 * The SDK resolves every command with the server's `Result`. It throws (rejects with)
 * `ClientError` only when there is no result to give: the ack did not come in time, the
 * connection dropped with a non-idempotent command in flight, the offline queue is full, or
 * the client was closed.
 */
export const ClientErrorCode = {
  /** No ack within `timeoutMs`. The server may or may not have run the command. */
  TIMEOUT: 'TIMEOUT',
  /** The connection dropped while a command without an idempotency key was in flight. */
  DISCONNECTED: 'DISCONNECTED',
  /** Not connected, and the command asked not to be queued (or queueing is off). */
  OFFLINE: 'OFFLINE',
  /** The offline queue already holds `maxQueueSize` commands. */
  QUEUE_FULL: 'QUEUE_FULL',
  /** `close()` was called, or the server ended the session for good. */
  CLOSED: 'CLOSED',
} as const;
export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

export class ClientError extends Error {
  constructor(
    readonly code: ClientErrorCode,
    message: string,
    readonly event?: string,
  ) {
    super(message);
    this.name = 'ClientError';
  }
}
