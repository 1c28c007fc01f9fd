/**
 * A contract is the protocol a server speaks and a client is typed by: the slices of the
 * features it runs, joined. Both ends derive everything from it: the server its validation
 * table, rate limits and documents; the SDK its `request`/`on` types.
 *
 * @example
 * const contract = defineContract(...builtInSlices, diceSlice);
 * type Roll = CommandResultOf<typeof contract, 'dice:roll'>;
 * asyncApiDocument(contract); // lists dice:roll
 */
import type { z } from 'zod';
import type { ClientEventMap, CommandSchema, ServerEventMap, SignalSchema, Slice } from './define.js';
import type { Result } from './errors.js';

/** What the type helpers below read: a slice or a whole contract. */
export interface EventSource {
  readonly clientEvents: ClientEventMap;
  readonly serverEvents: ServerEventMap;
}

export interface Contract<C extends ClientEventMap = ClientEventMap, S extends ServerEventMap = ServerEventMap> extends EventSource {
  readonly slices: readonly Slice[];
  readonly clientEvents: C;
  readonly serverEvents: S;
}

type UnionToIntersection<U> = (U extends unknown ? (value: U) => void : never) extends (value: infer I) => void ? I : never;
type Flatten<T> = { [K in keyof T]: T[K] } & {};

/** The contract type of a list of slices. */
export type ContractOf<T extends readonly Slice[]> = Contract<
  Extract<Flatten<UnionToIntersection<T[number]['clientEvents']>>, ClientEventMap>,
  Extract<Flatten<UnionToIntersection<T[number]['serverEvents']>>, ServerEventMap>
>;

/**
 * Joins slices into one contract. An event name may stand once per direction (a name used
 * both ways, like `chat:read`, is fine); a slice id may stand once.
 */
export function defineContract<const T extends readonly Slice[]>(...slices: T): ContractOf<T> {
  const clientEvents: ClientEventMap = {};
  const serverEvents: ServerEventMap = {};
  const ids = new Set<string>();
  for (const slice of slices) {
    if (ids.has(slice.id)) throw new Error(`slice ${slice.id} is in the contract twice`);
    ids.add(slice.id);
    for (const [name, definition] of Object.entries(slice.clientEvents)) {
      if (Object.hasOwn(clientEvents, name)) throw new Error(`client event ${name} is declared by two slices`);
      clientEvents[name] = definition;
    }
    for (const [name, definition] of Object.entries(slice.serverEvents)) {
      if (Object.hasOwn(serverEvents, name)) throw new Error(`server event ${name} is declared by two slices`);
      serverEvents[name] = definition;
    }
  }
  return { slices, clientEvents, serverEvents } as unknown as ContractOf<T>;
}

export type ClientEventNameOf<K extends EventSource> = Extract<keyof K['clientEvents'], string>;
export type ServerEventNameOf<K extends EventSource> = Extract<keyof K['serverEvents'], string>;
export type CommandNameOf<K extends EventSource> = {
  [E in ClientEventNameOf<K>]: K['clientEvents'][E] extends CommandSchema ? E : never;
}[ClientEventNameOf<K>];
export type SignalNameOf<K extends EventSource> = {
  [E in ClientEventNameOf<K>]: K['clientEvents'][E] extends SignalSchema ? E : never;
}[ClientEventNameOf<K>];

/** What a client sends for an event (before defaults and stripping). */
export type ClientPayloadOf<K extends EventSource, E extends ClientEventNameOf<K>> = z.input<K['clientEvents'][E]['payload']>;
/** What a handler receives for an event, after validation. */
export type ParsedPayloadOf<K extends EventSource, E extends ClientEventNameOf<K>> = z.output<K['clientEvents'][E]['payload']>;
/** The `data` of a successful ack. */
export type CommandResultOf<K extends EventSource, E extends CommandNameOf<K>> =
  K['clientEvents'][E] extends CommandSchema<z.ZodType, infer R> ? z.output<R> : never;
export type ServerPayloadOf<K extends EventSource, E extends ServerEventNameOf<K>> = z.output<K['serverEvents'][E]['payload']>;

export type AckOf<K extends EventSource, E extends CommandNameOf<K>> = (result: Result<CommandResultOf<K, E>>) => void;

/** Socket.IO's client-to-server map for a contract. */
export type ClientToServerEventsOf<K extends EventSource> = {
  [E in ClientEventNameOf<K>]: E extends CommandNameOf<K>
    ? (payload: ClientPayloadOf<K, E>, ack: AckOf<K, E>) => void
    : (payload: ClientPayloadOf<K, E>) => void;
};

/** Socket.IO's server-to-client map for a contract. */
export type ServerToClientEventsOf<K extends EventSource> = {
  [E in ServerEventNameOf<K>]: (payload: ServerPayloadOf<K, E>) => void;
};
