/**
 * Commands waiting for a connection, in the order they were made. Bounded: a client that
 * stays offline cannot grow without limit.
 */
import { ClientError, ClientErrorCode } from './client-error.js';

export interface PendingCommand {
  readonly event: string;
  readonly payload: unknown;
  readonly timeoutMs: number;
  /** Safe to send again after a drop: the payload carries an idempotency key. */
  readonly idempotent: boolean;
  resolve(result: unknown): void;
  reject(error: ClientError): void;
}

export class OfflineQueue {
  private items: PendingCommand[] = [];

  constructor(private readonly maxSize: number) {}

  get size(): number {
    return this.items.length;
  }

  /** Adds at the end; rejects the command with `QUEUE_FULL` when there is no room. */
  push(command: PendingCommand): void {
    if (this.items.length >= this.maxSize) {
      command.reject(new ClientError(ClientErrorCode.QUEUE_FULL, `offline queue is full (${this.maxSize} commands)`, command.event));
      return;
    }
    this.items.push(command);
  }

  /** Puts commands that were in flight back in front, keeping their order. */
  requeue(commands: readonly PendingCommand[]): void {
    this.items = [...commands, ...this.items];
  }

  /** Removes and returns everything, oldest first. */
  drain(): PendingCommand[] {
    const items = this.items;
    this.items = [];
    return items;
  }

  rejectAll(error: (command: PendingCommand) => ClientError): void {
    for (const command of this.drain()) command.reject(error(command));
  }
}
