/**
 * The built-in slices, one per domain, in reading order (the sections of PROTOCOL.md), and
 * the contract they make together. The built-in features serve these; a studio composes its
 * own slices beside them with `defineContract(...builtInSlices, mySlice)`.
 *
 * The names below (`ClientToServerEvents`, `CommandName`, ...) are the built-in contract's;
 * the `...Of<K>` helpers in `contract.ts` give the same for any contract.
 */
import { chatSlice } from './chat.js';
import { combatSlice } from './combat.js';
import { gameRoomSlice } from './game-rooms.js';
import {
  defineContract,
  type AckOf,
  type ClientEventNameOf,
  type ClientPayloadOf,
  type ClientToServerEventsOf,
  type CommandNameOf,
  type CommandResultOf,
  type ParsedPayloadOf,
  type ServerEventNameOf,
  type ServerPayloadOf,
  type ServerToClientEventsOf,
  type SignalNameOf,
} from './contract.js';
import { lobbySlice } from './lobby.js';
import { matchmakingSlice } from './matchmaking.js';
import { notificationSlice } from './notifications.js';
import { partySlice } from './party.js';
import { pokerSlice } from './poker.js';
import { presenceSlice } from './presence.js';
import { sessionSlice } from './session.js';
import { worldSlice } from './world.js';

export const builtInSlices = [
  sessionSlice,
  presenceSlice,
  chatSlice,
  worldSlice,
  combatSlice,
  partySlice,
  lobbySlice,
  matchmakingSlice,
  notificationSlice,
  pokerSlice,
] as const;

/** Everything the built-in features serve. */
export const builtInContract = defineContract(...builtInSlices);
export type BuiltInContract = typeof builtInContract;

/**
 * Slices of opt-in features: served only by a server given their feature (game rooms:
 * `gameRoomsFeature` with room types from `defineRoom`), never by a preset on its own.
 * Compose them like a studio's: `defineContract(...builtInSlices, gameRoomSlice, mySlice)`.
 */
export const optInSlices = [gameRoomSlice] as const;

/** The built-in and the opt-in slices: what the protocol reference (docs/protocol.md) documents. */
export const referenceContract = defineContract(...builtInSlices, ...optInSlices);

export const clientEventSchemas = builtInContract.clientEvents;
export const serverEventSchemas = builtInContract.serverEvents;

export type ClientEventName = ClientEventNameOf<BuiltInContract>;
export type CommandName = CommandNameOf<BuiltInContract>;
export type SignalName = SignalNameOf<BuiltInContract>;
export type ServerEventName = ServerEventNameOf<BuiltInContract>;
export type ClientPayload<E extends ClientEventName> = ClientPayloadOf<BuiltInContract, E>;
export type ParsedPayload<E extends ClientEventName> = ParsedPayloadOf<BuiltInContract, E>;
export type CommandResult<E extends CommandName> = CommandResultOf<BuiltInContract, E>;
export type ServerPayload<E extends ServerEventName> = ServerPayloadOf<BuiltInContract, E>;
export type Ack<E extends CommandName> = AckOf<BuiltInContract, E>;
export type ClientToServerEvents = ClientToServerEventsOf<BuiltInContract>;
export type ServerToClientEvents = ServerToClientEventsOf<BuiltInContract>;

export const clientEventNames = Object.keys(clientEventSchemas) as ClientEventName[];
export const serverEventNames = Object.keys(serverEventSchemas) as ServerEventName[];

export function isClientEventName(name: string): name is ClientEventName {
  return Object.hasOwn(clientEventSchemas, name);
}

export function isServerEventName(name: string): name is ServerEventName {
  return Object.hasOwn(serverEventSchemas, name);
}
