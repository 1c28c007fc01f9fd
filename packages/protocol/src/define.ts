/**
 * How a slice of the protocol is declared. A client event is a command (always answered by
 * one ack carrying a `Result`) or a signal (high-frequency, fire-and-forget; failures come
 * back as `error`); a server event is what the server sends. Each definition carries its own
 * description and, for client events, its default rate limit, so that everything about an
 * event stands in one place and the server, the SDK and the generated documents read it there.
 *
 * @example
 * export const diceSlice = defineSlice({
 *   id: 'dice',
 *   title: 'Dice',
 *   description: 'Dice the server rolls.',
 *   commands: {
 *     'dice:roll': command(DiceRollPayload, DiceRolled, { description: 'Rolls a die.', rateLimit: { ratePerSec: 2, burst: 4 } }),
 *   },
 *   serverEvents: { 'dice:rolled': event(DiceRolled, 'A die was rolled in your zone.') },
 * });
 */
import type { z } from 'zod';

/** A token bucket: `ratePerSec` tokens added per second, at most `burst` at once. */
export interface RateLimitRule {
  ratePerSec: number;
  burst: number;
}

export interface EventMeta {
  /** One line of prose, shown in the generated reference and AsyncAPI document. */
  description: string;
  /** The event's default token bucket per socket; the server's `default` rule when absent. */
  rateLimit?: RateLimitRule;
}

export interface CommandSchema<P extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  readonly kind: 'command';
  /** Validates what the client sends. */
  readonly payload: P;
  /** Describes the `data` of a successful ack. */
  readonly result: R;
  readonly description: string;
  readonly rateLimit?: RateLimitRule;
}

export interface SignalSchema<P extends z.ZodType = z.ZodType> {
  readonly kind: 'signal';
  readonly payload: P;
  readonly description: string;
  readonly rateLimit?: RateLimitRule;
}

export type ClientEventSchema = CommandSchema | SignalSchema;

export interface ServerEventSchema<P extends z.ZodType = z.ZodType> {
  readonly kind: 'event';
  readonly payload: P;
  readonly description: string;
}

/** Declares a command: a client event answered by exactly one ack. */
export function command<P extends z.ZodType, R extends z.ZodType>(payload: P, result: R, meta: EventMeta): CommandSchema<P, R> {
  return { kind: 'command', payload, result, ...meta };
}

/** Declares a signal: a client event with no ack. */
export function signal<P extends z.ZodType>(payload: P, meta: EventMeta): SignalSchema<P> {
  return { kind: 'signal', payload, ...meta };
}

/** Declares a server event. */
export function event<P extends z.ZodType>(payload: P, description: string): ServerEventSchema<P> {
  return { kind: 'event', payload, description };
}

export type ClientEventMap = Record<string, ClientEventSchema>;
export type ServerEventMap = Record<string, ServerEventSchema>;

/** One domain of the protocol: its events and the prose that introduces them. */
export interface Slice<C extends ClientEventMap = ClientEventMap, S extends ServerEventMap = ServerEventMap> {
  /** Short lowercase id, used as the AsyncAPI tag. */
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly clientEvents: C;
  readonly serverEvents: S;
}

const EVENT_NAME = /^[a-z][a-z0-9-]*(:[a-z][a-z0-9-]*)+$/;

/**
 * Declares a slice. Commands and signals are given apart for reading and joined into
 * `clientEvents`; a name that is not `domain:verb` (lowercase) or that stands twice throws.
 */
export function defineSlice<
  const Commands extends Record<string, CommandSchema> = Record<never, never>,
  const Signals extends Record<string, SignalSchema> = Record<never, never>,
  const ServerEvents extends ServerEventMap = Record<never, never>,
>(definition: {
  id: string;
  title: string;
  description: string;
  commands?: Commands;
  signals?: Signals;
  serverEvents?: ServerEvents;
}): Slice<Commands & Signals, ServerEvents> {
  const commands = definition.commands ?? ({} as Commands);
  const signals = definition.signals ?? ({} as Signals);
  for (const name of [...Object.keys(commands), ...Object.keys(signals), ...Object.keys(definition.serverEvents ?? {})]) {
    if (name !== 'error' && !EVENT_NAME.test(name)) throw new Error(`slice ${definition.id}: event name ${name} is not lowercase domain:verb`);
  }
  for (const name of Object.keys(signals)) {
    if (Object.hasOwn(commands, name)) throw new Error(`slice ${definition.id}: ${name} is both a command and a signal`);
  }
  return {
    id: definition.id,
    title: definition.title,
    description: definition.description,
    clientEvents: { ...commands, ...signals },
    serverEvents: definition.serverEvents ?? ({} as ServerEvents),
  };
}
