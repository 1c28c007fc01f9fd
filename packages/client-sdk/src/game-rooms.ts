/**
 * Authoritative game rooms from the client's side: `create`, `join`, `joinOrCreate` give a
 * `GameRoom` whose `state` is the player's copy of their view, kept equal to the server's by
 * the full state of the join and the numbered patches after it. A gap in the numbers makes
 * it ask `room:sync`; after a reconnect it takes its seat back with `room:join` (within the
 * room type's grace period; after it the room reports `onLeft('expired')`), trying again while
 * the room's node is unreachable, as when it died and the room is restored on another node.
 *
 * @example
 * const rooms = new GameRooms(client);
 * const joined = await rooms.joinOrCreate<ArenaView>('arena', { filter: { mode: 'ranked' } });
 * if (!joined.ok) throw new Error(joined.error.code);
 * const room = joined.data;
 * room.onChange((state) => render(state));
 * await room.send('arena:move', { dx: 1, dy: 0 }); // roomId is added
 * await room.leave();
 *
 * // Matchmaking that ends in a room: the match carries your seat reservation.
 * client.on('matchmaking:matched', (matched) => void rooms.joinMatch<DuelView>(matched));
 */
import type {
  BuiltInContract,
  ClientPayloadOf,
  CommandNameOf,
  CommandResultOf,
  EventSource,
  MatchmakingMatched,
  Result,
  RoomJoined,
  RoomLeft,
  RoomListing,
  RoomMetadata,
  RoomPatch,
  RoomState,
  SignalNameOf,
} from '@tavern/protocol';
import { ErrorCode } from '@tavern/protocol/codes';
import type { TavernClient } from './create-client.js';
import { applyRoomPatch } from './room-patch.js';

/** How many times a rejoin is tried again while the room is being restored on another node (about 30 s). */
const REJOIN_RETRIES = 60;
const REJOIN_RETRY_MS = 500;

/** Why a room ended for this client: it left, its kept seat expired, another connection of the user took the seat, or the room closed. */
export type RoomEnd = 'left' | 'expired' | 'replaced' | 'closed';

interface Untyped {
  request(event: string, payload: unknown): Promise<Result<unknown>>;
  signal(event: string, payload: unknown): boolean;
  on(event: string, listener: (data: never) => void): () => void;
}

type WithoutRoomId<P> = Omit<P, 'roomId'>;

/** One room the player holds a seat in; `State` is the type of their view. */
export class GameRoom<State = unknown, K extends EventSource = BuiltInContract> {
  readonly id: string;
  readonly type: string;
  /** Your seat (the same after a rejoin within the grace period). */
  seatId: string;
  /** The sequence number of `state`. */
  seq: number;
  state: State;
  /** Null while seated; why the seat ended otherwise. */
  ended: RoomEnd | null = null;
  /** How many times a gap in the patches made the room ask for the full state. */
  resyncs = 0;
  /** True while a full state is awaited: patches sent before it are in it, and are skipped. */
  private awaitingFull = false;
  private readonly changeListeners = new Set<(state: State, previous: State) => void>();
  private readonly endListeners = new Set<(reason: RoomEnd) => void>();

  constructor(
    private readonly rooms: GameRooms<K>,
    joined: RoomJoined,
  ) {
    this.id = joined.roomId;
    this.type = joined.type;
    this.seatId = joined.seatId;
    this.seq = joined.seq;
    this.state = joined.state as State;
  }

  /** Calls `listener` after every change of `state`; returns a function that stops it. */
  onChange(listener: (state: State, previous: State) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Calls `listener` once the seat is gone (left, expired, or the room closed). */
  onLeft(listener: (reason: RoomEnd) => void): () => void {
    this.endListeners.add(listener);
    return () => this.endListeners.delete(listener);
  }

  /** Sends a command of the room type's slice; `roomId` is added. */
  send<E extends CommandNameOf<K>>(event: E, payload: WithoutRoomId<ClientPayloadOf<K, E>>): Promise<Result<CommandResultOf<K, E>>> {
    return this.rooms.untyped.request(event, { ...payload, roomId: this.id }) as Promise<Result<CommandResultOf<K, E>>>;
  }

  /** Sends a signal of the room type's slice; `roomId` is added. False when not connected. */
  signal<E extends SignalNameOf<K>>(event: E, payload: WithoutRoomId<ClientPayloadOf<K, E>>): boolean {
    return this.rooms.untyped.signal(event, { ...payload, roomId: this.id });
  }

  /** Gives up the seat (it is not kept for a rejoin). */
  async leave(): Promise<Result<Record<string, never>>> {
    const result = (await this.rooms.untyped.request('room:leave', { roomId: this.id })) as Result<Record<string, never>>;
    if (result.ok || result.error.code === ErrorCode.NOT_FOUND) this.end('left');
    return result;
  }

  /** @internal */
  receivePatch({ seq, ops }: RoomPatch): void {
    if (this.ended || this.awaitingFull || seq <= this.seq) return;
    if (seq !== this.seq + 1) {
      this.resync();
      return;
    }
    let next: State;
    try {
      next = applyRoomPatch(this.state, ops);
    } catch {
      this.resync();
      return;
    }
    this.seq = seq;
    this.replace(next);
  }

  /** @internal */
  receiveFull({ seq, state }: RoomState, seatId?: string): void {
    if (this.ended) return;
    if (seatId !== undefined) this.seatId = seatId;
    this.awaitingFull = false;
    this.seq = seq;
    this.replace(state as State);
  }

  /** @internal Asks for the full state again (after a gap). */
  resync(): void {
    if (this.awaitingFull) return;
    this.awaitingFull = true;
    this.resyncs += 1;
    void this.rooms.untyped.request('room:sync', { roomId: this.id }).then((result) => {
      if (result.ok) this.receiveFull(result.data as RoomState);
      else this.awaitingFull = false;
    });
  }

  /**
   * @internal After a reconnect: take the seat back. While the room's node is unreachable
   * (`UNAVAILABLE`: it died and the room is being restored on another node) it tries again
   * after the `retryAfterMs` the server gives, for up to `REJOIN_RETRIES` tries.
   */
  async rejoin(attempt = 0): Promise<void> {
    if (this.ended) return;
    this.awaitingFull = true;
    const result = await this.rooms.untyped.request('room:join', { roomId: this.id, rejoin: true });
    if (result.ok) this.receiveFull(result.data as RoomJoined, (result.data as RoomJoined).seatId);
    else if (result.error.code === ErrorCode.NOT_FOUND || result.error.code === ErrorCode.FORBIDDEN) this.end('expired');
    else if (result.error.code === ErrorCode.UNAVAILABLE && attempt < REJOIN_RETRIES) {
      setTimeout(() => void this.rejoin(attempt + 1), result.error.retryAfterMs ?? REJOIN_RETRY_MS);
    } else this.awaitingFull = false;
  }

  /** @internal */
  end(reason: RoomEnd): void {
    if (this.ended) return;
    this.ended = reason;
    this.rooms.forget(this.id);
    for (const listener of [...this.endListeners]) listener(reason);
  }

  private replace(next: State): void {
    const previous = this.state;
    this.state = next;
    for (const listener of [...this.changeListeners]) listener(next, previous);
  }
}

/**
 * The client's game rooms: joins them, routes their events, and takes every seat back after
 * a reconnect. `K` is the server's contract (with the room types' slices), for `send`.
 */
export class GameRooms<K extends EventSource = BuiltInContract> {
  private readonly joined = new Map<string, GameRoom<unknown, K>>();
  private readonly stops: (() => void)[] = [];
  /** @internal */
  readonly untyped: Untyped;
  private firstSession = true;

  constructor(client: TavernClient<K>) {
    this.untyped = client as unknown as Untyped;
    this.firstSession = client.session === null;
    this.stops.push(
      this.untyped.on('room:patch', (patch: RoomPatch) => this.joined.get(patch.roomId)?.receivePatch(patch)),
      this.untyped.on('room:state', (full: RoomState) => this.joined.get(full.roomId)?.receiveFull(full)),
      this.untyped.on('room:left', ({ roomId, reason }: RoomLeft) => this.joined.get(roomId)?.end(reason)),
      this.untyped.on('room:closed', ({ roomId }: { roomId: string }) => this.joined.get(roomId)?.end('closed')),
      this.untyped.on('session:ready', () => {
        if (this.firstSession) {
          this.firstSession = false;
          return;
        }
        for (const room of this.joined.values()) void room.rejoin();
      }),
    );
  }

  /** Creates a room of `type` and takes its first seat. */
  create<State = unknown>(type: string, options: { options?: Record<string, unknown>; private?: boolean } = {}): Promise<Result<GameRoom<State, K>>> {
    return this.seat<State>('room:create', { type, ...options });
  }

  /** Takes a seat in a room by id (a private room, or a reservation from matchmaking). */
  join<State = unknown>(roomId: string, options: { reservation?: string } = {}): Promise<Result<GameRoom<State, K>>> {
    return this.seat<State>('room:join', { roomId, ...options });
  }

  /**
   * Takes the seat reserved for you by a match (`matchmaking:matched` of a mode that ends in a
   * game room). `PRECONDITION_FAILED` when the match has no room; `FORBIDDEN` from the server
   * once the reservation expired.
   *
   * @example
   * client.on('matchmaking:matched', async (matched) => {
   *   const joined = await client.rooms.joinMatch<DuelView>(matched);
   *   if (joined.ok) play(joined.data);
   * });
   */
  joinMatch<State = unknown>(matched: Pick<MatchmakingMatched, 'room'>): Promise<Result<GameRoom<State, K>>> {
    if (!matched.room) return Promise.resolve({ ok: false, error: { code: ErrorCode.PRECONDITION_FAILED, message: 'this match has no game room: its mode makes a lobby only' } });
    return this.join<State>(matched.room.roomId, { reservation: matched.room.reservation });
  }

  /** Joins the fullest public room of `type` matching `filter` with a free seat, or creates one. */
  joinOrCreate<State = unknown>(type: string, options: { options?: Record<string, unknown>; filter?: RoomMetadata } = {}): Promise<Result<GameRoom<State, K>>> {
    return this.seat<State>('room:autojoin', { type, ...options });
  }

  /** The public rooms of every node of the cluster (of the one node without Redis). */
  list(query: { type?: string; filter?: RoomMetadata; available?: boolean; limit?: number } = {}): Promise<Result<{ rooms: RoomListing[] }>> {
    return this.untyped.request('room:list', query) as Promise<Result<{ rooms: RoomListing[] }>>;
  }

  /** The room with a seat of this client, if any. */
  get<State = unknown>(roomId: string): GameRoom<State, K> | undefined {
    return this.joined.get(roomId) as GameRoom<State, K> | undefined;
  }

  /** @internal */
  forget(roomId: string): void {
    this.joined.delete(roomId);
  }

  dispose(): void {
    for (const stop of this.stops.splice(0)) stop();
  }

  private async seat<State>(event: string, payload: unknown): Promise<Result<GameRoom<State, K>>> {
    const result = await this.untyped.request(event, payload);
    if (!result.ok) return result;
    const data = result.data as RoomJoined;
    const existing = this.joined.get(data.roomId);
    if (existing) {
      existing.receiveFull(data, data.seatId);
      return { ok: true, data: existing as GameRoom<State, K> };
    }
    const room = new GameRoom<unknown, K>(this, data);
    this.joined.set(room.id, room);
    return { ok: true, data: room as GameRoom<State, K> };
  }
}

/**
 * The client with its game rooms at `client.rooms` (one `GameRooms` for it). Opt-in, so an
 * app without rooms does not bundle them.
 *
 * @example
 * const client = withRooms(createClient({ url, getToken, contract }));
 * const joined = await client.rooms.joinOrCreate<ArenaView>('arena');
 */
export function withRooms<K extends EventSource>(client: TavernClient<K>): TavernClient<K> & { readonly rooms: GameRooms<K> } {
  return Object.assign(client, { rooms: new GameRooms(client) });
}
