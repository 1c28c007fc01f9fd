/**
 * `defineRoom`: how a studio declares an authoritative room type. The value is a feature (run
 * it beside `gameRoomsFeature`): its slice holds the room's own client messages, which go
 * through the dispatcher like every event (validated, rate-limited, one ack), and reach
 * `onMessage` with the room and the sender's seat. Every message payload carries `roomId`.
 *
 * Over Redis a room runs on the node that created it and its players may be connected to any
 * node: their messages reach this node's handlers, its patches reach them. Every
 * `limits.checkpointMs` (and on every seat change) the room's state and seats are saved; when
 * its node dies another node restores it from that checkpoint, so the state must survive JSON
 * and parse with `state` (restoring is the default; `onRestore` adjusts what comes back,
 * `checkpointMs: 0` opts out and the players are told `room:closed` `lost`).
 *
 * @example
 * export const counterRoom = defineRoom({
 *   type: 'counter',
 *   state: z.object({ count: z.number(), secret: z.string() }),
 *   slice: counterSlice, // 'counter:add': command(z.object({ roomId: Id, by: z.number().int() }), z.object({ count: z.number() }), ...)
 *   limits: { maxPlayers: 4, tickHz: 20, graceMs: 10_000 },
 *   onCreate: () => ({ count: 0, secret: randomId() }),
 *   onJoin: (room, player) => { if (room.players.length > 3) throw new AppError('FORBIDDEN', 'full'); },
 *   onMessage: { 'counter:add': (room, player, { by }) => ({ count: (room.state.count += by) }) },
 *   view: (state) => ({ count: state.count }), // the secret never leaves the server
 *   onRestore: (room, saved) => ({ ...saved, secret: randomId() }), // on another node, after a node died
 * });
 */
import { ErrorCode, type ClientEventNameOf, type CommandNameOf, type CommandResultOf, type ParsedPayloadOf, type RoomMetadata, type SignalNameOf, type Slice } from '@tavern/protocol';
import { z } from 'zod';
import { AppError, defineFeature, type FeatureDefinition } from '../../api.js';
import type { GameRoomService } from './game-rooms.service.js';

declare module '../feature.js' {
  interface TavernServices {
    gameRooms: GameRoomService;
  }
}

/** A seat's holder as the room's handlers see it. */
export interface RoomPlayer {
  readonly userId: string;
  readonly name: string;
  /** Stable for the seat's life, across a rejoin within the grace period. */
  readonly seatId: string;
  /** False while the connection is dropped and the seat is kept. */
  readonly connected: boolean;
}

/** What every handler gets: the room, its mutable state, its players. */
export interface RoomHandle<State> {
  readonly id: string;
  readonly type: string;
  /** The room's state: mutate it in place; what changed reaches each player at the patch rate. */
  readonly state: State;
  readonly players: readonly RoomPlayer[];
  /** Replaces the metadata shown in the room list (and matched by its filters). */
  setMetadata(metadata: RoomMetadata): void;
  /** A locked room takes no new seats (kept seats may still be taken back). */
  lock(): void;
  unlock(): void;
  /** Ends the room: every seat gets `room:closed`. */
  dispose(): void;
}

export interface RoomLimits {
  /** @default 8 */
  maxPlayers: number;
  /** `onTick` calls per second; 0: no tick. @default 20 */
  tickHz: number;
  /** How often changes are sent (ms). @default 50 */
  patchIntervalMs: number;
  /** A dropped player's seat is kept this long (ms). @default 15000 */
  graceMs: number;
  /** A room with no seat is disposed after this long (ms). @default 30000 */
  emptyTtlMs: number;
  /** A room is disposed this long after it was created (ms), whatever happens. @default 4 h */
  maxLifetimeMs: number;
  /** A room message whose JSON is longer than this is refused `LIMIT_EXCEEDED`. @default 4096 */
  maxMessageBytes: number;
  /** Joins need a seat reservation (`GameRoomService.reserve`). @default false */
  requireReservation: boolean;
  /**
   * Over Redis: how often the room's checkpoint (its state, seats and their sequence numbers) is
   * saved, besides on every seat change, so that another node restores the room if this one
   * dies. 0: no checkpoints; the room is not restored, its players get `room:closed` `lost`.
   * @default 1000
   */
  checkpointMs: number;
}

const DEFAULT_LIMITS: RoomLimits = {
  maxPlayers: 8,
  tickHz: 20,
  patchIntervalMs: 50,
  graceMs: 15_000,
  emptyTtlMs: 30_000,
  maxLifetimeMs: 4 * 3600 * 1000,
  maxMessageBytes: 4096,
  requireReservation: false,
  checkpointMs: 1_000,
};

type MessageHandlers<S extends Slice, State> = { [E in CommandNameOf<S>]: (room: RoomHandle<State>, player: RoomPlayer, payload: ParsedPayloadOf<S, E>) => CommandResultOf<S, E> } & {
  [E in SignalNameOf<S>]: (room: RoomHandle<State>, player: RoomPlayer, payload: ParsedPayloadOf<S, E>) => void;
};

export interface RoomTypeDefinition<State, S extends Slice, Options> {
  /** The room type's name, as clients give it to `room:create` (lowercase, up to 26). */
  type: string;
  /** The state's schema: checked after every handler outside production. */
  state: z.ZodType<State>;
  /** The room's own client messages; every payload has `roomId`. */
  slice?: S;
  /** Validates `options` of `room:create` / `room:autojoin` (`INVALID_PAYLOAD` otherwise). */
  options?: z.ZodType<Options>;
  limits?: Partial<RoomLimits>;
  /** Makes the initial state; may set metadata. */
  onCreate(room: Omit<RoomHandle<State>, 'state'>, options: Options): State;
  /** Runs before a new seat is given; throw an `AppError` (e.g. `FORBIDDEN`) to refuse it. */
  onJoin?(room: RoomHandle<State>, player: RoomPlayer, options: { rejoin: boolean }): void;
  /** A seat's connection dropped (`final: false`, the seat is kept) or the seat is gone (`final: true`). */
  onLeave?(room: RoomHandle<State>, player: RoomPlayer, how: { consented: boolean; final: boolean }): void;
  onMessage: [ClientEventNameOf<S>] extends [never] ? Record<never, never> : MessageHandlers<S, State>;
  /** Runs `tickHz` times a second with the ms since the last tick; a throw from it disposes the room. */
  onTick?(room: RoomHandle<State>, deltaMs: number): void;
  onDispose?(room: RoomHandle<State>): void;
  /**
   * The room is restored on this node from its last checkpoint, its node having died (over Redis,
   * unless `limits.checkpointMs` is 0). `saved` is the checkpointed state, parsed by `state`; the
   * returned state is what the room runs on (the default: `saved` as it is). The seats come back
   * as they were: those of players connected to a live node stay connected (they get the full
   * state), those of the dead node's players are kept for `graceMs` (`onLeave` runs for them with
   * `final: false`). What happened after the checkpoint is lost, at most `checkpointMs` of it.
   * Use it to re-create what the logic keeps outside the state (timers, references); throw to
   * refuse the restore (the players get `room:closed` `lost`).
   */
  onRestore?(room: RoomHandle<State>, saved: State): State;
  /**
   * What `player` may see of the state; the default is all of it. Only the view is ever sent
   * to the player, as full state or patches.
   */
  view?(state: State, player: RoomPlayer): unknown;
}

/** A room type as the service keeps it. */
export interface AnyRoomType {
  readonly type: string;
  readonly state: z.ZodType;
  readonly options: z.ZodType | undefined;
  readonly limits: RoomLimits;
  readonly onCreate: (room: Omit<RoomHandle<unknown>, 'state'>, options: unknown) => unknown;
  readonly onJoin?: (room: RoomHandle<unknown>, player: RoomPlayer, options: { rejoin: boolean }) => void;
  readonly onLeave?: (room: RoomHandle<unknown>, player: RoomPlayer, how: { consented: boolean; final: boolean }) => void;
  readonly onTick?: (room: RoomHandle<unknown>, deltaMs: number) => void;
  readonly onDispose?: (room: RoomHandle<unknown>) => void;
  readonly view?: (state: unknown, player: RoomPlayer) => unknown;
  readonly onRestore?: (room: RoomHandle<unknown>, saved: unknown) => unknown;
  /** The handlers of the type's own messages, by event: what a message forwarded from another node runs. */
  readonly messages: Readonly<Record<string, (room: RoomHandle<unknown>, player: RoomPlayer, payload: unknown) => unknown>>;
}

export type RoomFeature<S extends Slice> = FeatureDefinition<S, Record<never, never>, readonly []> & { readonly room: AnyRoomType };

/**
 * Declares a room type. Give the result to the server beside `gameRoomsFeature`:
 * `features: [...presets.chat, gameRoomsFeature, counterRoom]`.
 */
export function defineRoom<State, const S extends Slice = Slice<Record<never, never>, Record<never, never>>, Options = Record<string, unknown>>(
  definition: RoomTypeDefinition<State, S, Options>,
): RoomFeature<S> {
  if (!/^[a-z][a-z0-9-]{0,25}$/.test(definition.type)) throw new Error(`room type ${definition.type} is not lowercase letters, digits and -, up to 26`);
  const slice = definition.slice;
  for (const [event, schema] of Object.entries(slice?.clientEvents ?? {})) {
    const payload = schema.payload;
    if (!(payload instanceof z.ZodObject) || !Object.hasOwn(payload.shape, 'roomId')) throw new Error(`room type ${definition.type}: the payload of ${event} has no roomId`);
  }
  // The handlers see their own State; the service keeps every type alike.
  const hooks = definition as unknown as Pick<AnyRoomType, 'onCreate' | 'onJoin' | 'onLeave' | 'onTick' | 'onDispose' | 'view' | 'onRestore'>;
  const handlers = definition.onMessage as Record<string, (room: RoomHandle<unknown>, player: RoomPlayer, payload: unknown) => unknown>;
  for (const event of Object.keys(slice?.clientEvents ?? {})) {
    if (!handlers[event]) throw new Error(`room type ${definition.type} declares ${event} but onMessage has no handler for it`);
  }
  const room: AnyRoomType = {
    type: definition.type,
    state: definition.state,
    options: definition.options,
    limits: { ...DEFAULT_LIMITS, ...definition.limits },
    onCreate: hooks.onCreate.bind(definition),
    ...(hooks.onJoin && { onJoin: hooks.onJoin.bind(definition) }),
    ...(hooks.onLeave && { onLeave: hooks.onLeave.bind(definition) }),
    ...(hooks.onTick && { onTick: hooks.onTick.bind(definition) }),
    ...(hooks.onDispose && { onDispose: hooks.onDispose.bind(definition) }),
    ...(hooks.view && { view: hooks.view.bind(definition) }),
    ...(hooks.onRestore && { onRestore: hooks.onRestore.bind(definition) }),
    messages: Object.fromEntries(Object.keys(slice?.clientEvents ?? {}).map((event) => [event, handlers[event]!.bind(definition.onMessage)])),
  };
  const { maxPlayers, tickHz, patchIntervalMs, graceMs, emptyTtlMs, maxLifetimeMs, maxMessageBytes, checkpointMs } = room.limits;
  const positive = { maxPlayers, patchIntervalMs, emptyTtlMs, maxLifetimeMs, maxMessageBytes };
  for (const [key, value] of Object.entries(positive)) if (!Number.isInteger(value) || value < 1) throw new Error(`room type ${definition.type}: ${key} must be a positive integer`);
  if (!(tickHz >= 0 && tickHz <= 1000) || !(graceMs >= 0)) throw new Error(`room type ${definition.type}: tickHz must be 0..1000 and graceMs at least 0`);
  if (!Number.isInteger(checkpointMs) || (checkpointMs !== 0 && checkpointMs < 100)) throw new Error(`room type ${definition.type}: checkpointMs must be 0 (no checkpoints) or at least 100`);

  const feature = defineFeature({
    name: `room-${definition.type}`,
    ...(slice && { slice }),
    create: ({ services }) => {
      const service = services.get('gameRooms');
      service.register(room);
      const routed: Record<string, unknown> = {};
      for (const event of Object.keys(slice?.clientEvents ?? {})) {
        routed[event] = (ctx: Parameters<GameRoomService['message']>[0], payload: { roomId: string }) => {
          if (JSON.stringify(payload).length > maxMessageBytes) throw new AppError(ErrorCode.LIMIT_EXCEEDED, `a ${definition.type} message is at most ${maxMessageBytes} bytes`);
          return service.message(ctx, room, payload.roomId, event, payload);
        };
      }
      return { handlers: routed } as never;
    },
  }) as unknown as FeatureDefinition<S, Record<never, never>, readonly []>;
  return Object.assign(feature, { room });
}
