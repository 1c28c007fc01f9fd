/**
 * How a feature declares what it does with a client event. The schema comes from the
 * protocol package by event name, so a handler cannot validate against the wrong shape,
 * and its return type must be the command's ack data.
 *
 * @example
 * export const timeSync = defineHandler('time:sync', (_ctx, { clientTime }) => ({
 *   clientTime,
 *   serverTime: Date.now(),
 * }));
 */
import type { CommandName, CommandResult, ParsedPayload, SignalName } from '@tavern/protocol';
import type { Logger } from '../platform/logger.js';
import type { AppError } from './app-error.js';
import type { AuthUser, TavernSocket } from './socket-types.js';

export interface HandlerContext {
  socket: TavernSocket;
  user: AuthUser;
  /** A child logger bound to this socket and event (made on first use). */
  readonly logger: Logger;
}

export interface CommandDefinition<E extends CommandName = CommandName> {
  readonly kind: 'command';
  readonly event: E;
  readonly run: (ctx: HandlerContext, payload: ParsedPayload<E>) => CommandResult<E> | Promise<CommandResult<E>>;
}

export interface SignalDefinition<E extends SignalName = SignalName> {
  readonly kind: 'signal';
  readonly event: E;
  readonly run: (ctx: HandlerContext, payload: ParsedPayload<E>) => void | Promise<void>;
  /** Replaces the `error` event for a refused signal (e.g. a move answered by a correction). */
  readonly onRefused?: (ctx: HandlerContext, error: AppError) => void;
}

/** What the dispatcher keeps: the event-specific types erased. */
export type HandlerDefinition = CommandDefinition<CommandName> | SignalDefinition<SignalName>;

/** Declares the handler of a command; it returns the ack's data or throws an `AppError`. */
export function defineHandler<E extends CommandName>(
  event: E,
  run: (ctx: HandlerContext, payload: ParsedPayload<E>) => CommandResult<E> | Promise<CommandResult<E>>,
): HandlerDefinition {
  return { kind: 'command', event, run } as unknown as HandlerDefinition;
}

/** Declares the handler of a signal (no ack). */
export function defineSignal<E extends SignalName>(
  event: E,
  run: (ctx: HandlerContext, payload: ParsedPayload<E>) => void | Promise<void>,
  options: { onRefused?: (ctx: HandlerContext, error: AppError) => void } = {},
): HandlerDefinition {
  return { kind: 'signal', event, run, ...options } as unknown as HandlerDefinition;
}
