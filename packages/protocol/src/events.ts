/**
 * Joins the domains into the two event maps both ends compile against. Every event has
 * exactly one schema here; the types below are derived from these objects, so an event
 * cannot exist without a schema.
 */
import type { z } from 'zod';
import { chatCommands, chatServerEvents, chatSignals } from './chat.js';
import { combatCommands, combatServerEvents } from './combat.js';
import type { ClientEventSchema, CommandSchema, SignalSchema } from './define.js';
import type { Result } from './errors.js';
import { lobbyCommands, lobbyServerEvents } from './lobby.js';
import { matchmakingCommands, matchmakingServerEvents } from './matchmaking.js';
import { notificationCommands, notificationServerEvents } from './notifications.js';
import { partyCommands, partyServerEvents } from './party.js';
import { pokerCommands, pokerServerEvents } from './poker.js';
import { presenceCommands, presenceServerEvents } from './presence.js';
import { sessionCommands, sessionServerEvents } from './session.js';
import { worldCommands, worldServerEvents, worldSignals } from './world.js';

export const clientEventSchemas = {
  ...sessionCommands,
  ...presenceCommands,
  ...chatCommands,
  ...chatSignals,
  ...worldCommands,
  ...worldSignals,
  ...combatCommands,
  ...partyCommands,
  ...lobbyCommands,
  ...matchmakingCommands,
  ...notificationCommands,
  ...pokerCommands,
} satisfies Record<string, ClientEventSchema>;

export const serverEventSchemas = {
  ...sessionServerEvents,
  ...presenceServerEvents,
  ...chatServerEvents,
  ...worldServerEvents,
  ...combatServerEvents,
  ...partyServerEvents,
  ...lobbyServerEvents,
  ...matchmakingServerEvents,
  ...notificationServerEvents,
  ...pokerServerEvents,
} satisfies Record<string, z.ZodType>;

type ClientSchemas = typeof clientEventSchemas;
type ServerSchemas = typeof serverEventSchemas;

export type ClientEventName = keyof ClientSchemas;
export type CommandName = {
  [E in ClientEventName]: ClientSchemas[E] extends CommandSchema ? E : never;
}[ClientEventName];
export type SignalName = {
  [E in ClientEventName]: ClientSchemas[E] extends SignalSchema ? E : never;
}[ClientEventName];
export type ServerEventName = keyof ServerSchemas;

/** What a client sends for an event (before defaults and stripping). */
export type ClientPayload<E extends ClientEventName> = z.input<ClientSchemas[E]['payload']>;
/** What a handler receives for an event, after validation. */
export type ParsedPayload<E extends ClientEventName> = z.output<ClientSchemas[E]['payload']>;
/** The `data` of a successful ack. */
export type CommandResult<E extends CommandName> = ClientSchemas[E] extends CommandSchema<z.ZodType, infer R>
  ? z.output<R>
  : never;
export type ServerPayload<E extends ServerEventName> = z.output<ServerSchemas[E]>;

export type Ack<E extends CommandName> = (result: Result<CommandResult<E>>) => void;

export type ClientToServerEvents = {
  [E in ClientEventName]: E extends CommandName
    ? (payload: ClientPayload<E>, ack: Ack<E>) => void
    : (payload: ClientPayload<E>) => void;
};

export type ServerToClientEvents = {
  [E in ServerEventName]: (payload: ServerPayload<E>) => void;
};

export const clientEventNames = Object.keys(clientEventSchemas) as ClientEventName[];
export const serverEventNames = Object.keys(serverEventSchemas) as ServerEventName[];

export function isClientEventName(name: string): name is ClientEventName {
  return Object.hasOwn(clientEventSchemas, name);
}

export function isServerEventName(name: string): name is ServerEventName {
  return Object.hasOwn(serverEventSchemas, name);
}
