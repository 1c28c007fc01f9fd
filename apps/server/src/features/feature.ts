/**
 * The platform API: how a feature (built-in or a studio's own) declares its whole slice. A
 * feature is one value: the protocol slice it serves, the settings it reads (with the
 * environment variables behind them), and a `create` function that gets the shared services
 * and returns its handlers (one per client event of its slice, checked by the compiler), its
 * connection hooks, timers and HTTP routes. The server composes the features it is given
 * into one contract; nothing outside this API is special to the built-in features.
 *
 * @example
 * export const diceFeature = defineFeature({
 *   name: 'dice',
 *   slice: diceSlice,
 *   settings: { schema: z.object({ maxSides: z.number().int().default(100) }), env: { DICE_MAX_SIDES: { key: 'maxSides', parse: envInt(2, 1000) } } },
 *   create: ({ emitTo, settings }) => ({
 *     handlers: {
 *       'dice:roll': ({ user }, { zoneId, sides }) => {
 *         const rolled = { zoneId, userId: user.userId, sides, value: randomInt(1, Math.min(sides, settings.maxSides) + 1) };
 *         emitTo(rooms.zone(zoneId), 'dice:rolled', rolled);
 *         return rolled;
 *       },
 *     },
 *   }),
 * });
 */
import type {
  ClientEventNameOf,
  CommandNameOf,
  CommandResultOf,
  Contract,
  EventSource,
  NodeStats,
  ParsedPayloadOf,
  ServerEventNameOf,
  ServerPayloadOf,
  SignalNameOf,
  Slice,
} from '@tavern/protocol';
import type { Hono } from 'hono';
import type { DisconnectReason } from 'socket.io';
import type { z } from 'zod';
import type { RevocationService } from '../auth/revocation.service.js';
import type { TokenVerifier } from '../auth/token-verifier.js';
import type { Config } from '../config.js';
import type { ConnectionRegistry } from '../connections/connection-registry.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import type { Metrics } from '../platform/metrics.js';
import type { RedisConnections } from '../platform/redis.js';
import type { SettingsSpec } from '../platform/settings.js';
import type { EmitOptions, RealtimeService } from '../realtime/realtime.service.js';
import type { endSession } from '../realtime/session-end.js';
import type { RoomService } from '../rooms/room.service.js';
import type { AppError } from '../platform/app-error.js';
import type { HandlerContext } from '../transport/handler-context.js';
import type { TavernServer, TavernSocket } from '../transport/socket-types.js';
import type { ExtensionHooks } from '../hooks/hooks.js';

/** A slice with no events, for features that serve none (the admin API). */
export type EmptySlice = Slice<Record<never, never>, Record<never, never>>;

/** Sends a server event of `K` to one room or several, on every node; checked against its schema outside production. */
export type EmitTo<K extends EventSource> = <E extends ServerEventNameOf<K>>(
  room: string | readonly string[],
  event: E,
  data: ServerPayloadOf<K, E>,
  options?: EmitOptions,
) => void;

/** Sends a server event of `K` to every socket on every node. */
export type Broadcast<K extends EventSource> = <E extends ServerEventNameOf<K>>(event: E, data: ServerPayloadOf<K, E>, options?: EmitOptions) => void;

/** What a server event map of several slices looks like to the emit types. */
export type EventsOf<S extends Slice, Also extends readonly Slice[]> = {
  clientEvents: S['clientEvents'];
  serverEvents: S['serverEvents'] & UnionToIntersection<Also[number]['serverEvents']>;
};
type UnionToIntersection<U> = (U extends unknown ? (value: U) => void : never) extends (value: infer I) => void ? I : never;

export type CommandHandler<K extends EventSource, E extends CommandNameOf<K>> = (
  ctx: HandlerContext,
  payload: ParsedPayloadOf<K, E>,
) => CommandResultOf<K, E> | Promise<CommandResultOf<K, E>>;

export type SignalHandler<K extends EventSource, E extends SignalNameOf<K>> = (ctx: HandlerContext, payload: ParsedPayloadOf<K, E>) => void | Promise<void>;

/** A signal's handler, or the handler with what to do instead of the `error` event when it is refused. */
export type SignalEntry<K extends EventSource, E extends SignalNameOf<K>> =
  | SignalHandler<K, E>
  | { run: SignalHandler<K, E>; onRefused?: (ctx: HandlerContext, error: AppError) => void };

/**
 * One handler per client event of the slice: a missing one, one for an event the slice does
 * not declare, a wrong payload type or a wrong ack type does not compile.
 */
export type Handlers<K extends EventSource> = { [E in CommandNameOf<K>]: CommandHandler<K, E> } & {
  [E in SignalNameOf<K>]: SignalEntry<K, E>;
};

/** The shared services every feature may use. */
export interface FeatureContext<K extends EventSource = EventSource, Settings = unknown> {
  /** The feature's name. */
  readonly name: string;
  /** The feature's settings: its defaults, the environment, then overrides, validated. */
  readonly settings: Settings;
  /** The server's own configuration (limits, auth, cluster); features' settings are in `settings`. */
  readonly config: Config;
  /** A child logger named after the feature (`{ feature: name }`). */
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly clock: Clock;
  /** Null without `REDIS_URL`: features then use their in-memory stores. */
  readonly redis: RedisConnections | null;
  /** The contract this server runs: every feature's slice. */
  readonly contract: Contract;
  readonly emitTo: EmitTo<K>;
  readonly broadcast: Broadcast<K>;
  /** Who is online, their sockets, disconnecting a user, across nodes. */
  readonly realtime: RealtimeService;
  readonly rooms: RoomService;
  readonly registry: ConnectionRegistry;
  readonly revocations: RevocationService;
  readonly verifier: TokenVerifier;
  /** The studio's extension points (connect, message, command), in process or over HTTP. */
  readonly hooks: ExtensionHooks;
  /** The Socket.IO server, for what this API does not cover (inter-node events). */
  readonly io: TavernServer;
  /** This node's figures (connections, users, rooms, events/s). */
  readonly nodeStats: () => NodeStats;
  /** Ends one socket's session, telling the client why. */
  readonly endSession: typeof endSession;
  /** Services other features offer (see `TavernServices`). */
  readonly services: ServiceRegistry;
}

/** What `create` returns: everything the feature does at run time. */
export type FeatureParts<K extends EventSource> = ([ClientEventNameOf<K>] extends [never] ? { handlers?: never } : { handlers: Handlers<K> }) & {
  /**
   * Runs after authentication, before `session:ready` is sent. Every feature's hook starts at
   * once (in feature order) and `session:ready` waits for all of them; errors are logged, not
   * fatal.
   */
  onConnect?(socket: TavernSocket): void | Promise<void>;
  /**
   * Runs once the socket has closed and left its rooms; `joined` holds the rooms it was in,
   * read at `disconnecting` once for every feature.
   */
  onDisconnect?(socket: TavernSocket, reason: DisconnectReason, joined: ReadonlySet<string>): void | Promise<void>;
  /** Timers, subscriptions; runs once before the server accepts connections. */
  start?(): void | Promise<void>;
  /** Runs on shutdown, in reverse order, before Redis is closed. */
  stop?(): void | Promise<void>;
  /** Adds HTTP routes (admin API and the like). */
  routes?(app: Hono): void;
};

export interface FeatureDefinition<S extends Slice = Slice, Settings = unknown, Also extends readonly Slice[] = readonly Slice[]> {
  readonly name: string;
  /** The events this feature serves: it must handle every client event of the slice. */
  readonly slice: S;
  /** Other slices whose server events this feature sends (they must be in the running contract). */
  readonly emits: Also;
  readonly settings: SettingsSpec<Settings> | undefined;
  readonly create: (context: FeatureContext<EventsOf<S, Also>, Settings>) => FeatureParts<S>;
  /** The same feature with some settings replaced (typed), e.g. `chatFeature.with({ retention: 100 })`. */
  with(overrides: Partial<Settings>): FeatureDefinition<S, Settings, Also>;
  /** Overrides given with `with`, applied over the environment. */
  readonly overrides: Partial<Settings>;
}

/**
 * Refuses, at compile time, a handler for an event the slice does not declare: an object
 * returned from `create` is not checked for extra keys by TypeScript on its own.
 */
export type NoUndeclaredHandlers<P, S extends Slice> = P extends { handlers: infer H }
  ? [Exclude<keyof H, ClientEventNameOf<S>>] extends [never]
    ? unknown
    : { handlers: { [E in Exclude<keyof H, ClientEventNameOf<S>>]: `${E & string} is not a client event of this feature's slice` } }
  : unknown;

/** A feature of any slice and settings, as the server keeps them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a list of features holds every slice and settings type
export type AnyFeature = FeatureDefinition<any, any, any>;

const NO_EVENTS: EmptySlice = { id: '', title: '', description: '', clientEvents: {}, serverEvents: {} };

/**
 * Declares a feature. `slice` is the part of the protocol it serves (omit it for a feature
 * without events); `emits` lists other slices whose server events it sends; `settings`
 * declares its configuration section and environment variables.
 */
export function defineFeature<
  const S extends Slice = EmptySlice,
  Schema extends z.ZodObject = z.ZodObject<Record<never, never>>,
  const Also extends readonly Slice[] = readonly [],
  Parts extends FeatureParts<S> = FeatureParts<S>,
>(definition: {
  name: string;
  slice?: S;
  emits?: Also;
  settings?: SettingsSpec<z.output<Schema>> & { schema: Schema };
  create: (context: FeatureContext<EventsOf<S, Also>, z.output<Schema>>) => Parts & NoUndeclaredHandlers<Parts, S>;
}): FeatureDefinition<S, z.output<Schema>, Also> {
  if (!/^[a-z][a-z0-9-]{0,31}$/.test(definition.name)) throw new Error(`feature name ${definition.name} is not lowercase letters, digits and -`);
  const make = (overrides: Partial<z.output<Schema>>): FeatureDefinition<S, z.output<Schema>, Also> => ({
    name: definition.name,
    slice: definition.slice ?? (NO_EVENTS as S),
    emits: definition.emits ?? ([] as unknown as Also),
    settings: definition.settings,
    create: definition.create,
    overrides,
    with: (more) => make({ ...overrides, ...more }),
  });
  return make({});
}

/**
 * Typed service lookup between features, so that (say) chat can ask presence about a user
 * without importing its folder. Keys are declared by module augmentation of `TavernServices`.
 *
 * @example
 * declare module '@tavern/server' { interface TavernServices { dice: DiceService } }
 * context.services.provide('dice', service);
 * context.services.get('dice').roll(...);
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- augmented by features
export interface TavernServices {}

export class ServiceRegistry {
  private readonly services = new Map<string, unknown>();

  provide<K extends keyof TavernServices>(name: K, service: TavernServices[K]): void {
    if (this.services.has(name)) throw new Error(`service ${String(name)} is provided twice`);
    this.services.set(name, service);
  }

  /** Throws when no feature provides `name`: a composition mistake, found at start-up. */
  get<K extends keyof TavernServices>(name: K): TavernServices[K] {
    if (!this.services.has(name)) throw new Error(`no feature provides the ${String(name)} service`);
    return this.services.get(name) as TavernServices[K];
  }

  find<K extends keyof TavernServices>(name: K): TavernServices[K] | undefined {
    return this.services.get(name) as TavernServices[K] | undefined;
  }
}
