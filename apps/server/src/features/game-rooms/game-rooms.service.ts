/**
 * The rooms this node runs: create, join (with seat reservations and kept seats), leave, the
 * room list, and the quotas on all of them. Without Redis rooms are local to this node. Over
 * Redis (`GameRoomCluster`) a room still runs on one node, but a command of a player connected
 * to another node is forwarded to it and its frames come back to that player's node; the room
 * list reads the cluster's registry; every room is checkpointed, and a sweep restores on this
 * node the rooms of a node that died (one node per room, by a lock).
 */
import { ErrorCode, type RoomClosed, type RoomJoined, type RoomListing, type RoomMetadata, type RoomState } from '@tavern/protocol';
import { AppError, fromZodError, notFound, randomId, type AuthUser, type Logger } from '../../api.js';
import { GameRoom, type Seat, type SeatConnection } from './game-room.js';
import { NodeUnreachable, type Call, type CallOp, type Dropped, type Frame, type RoomBus } from './game-rooms.bus.js';
import type { AnyRoomType, RoomHandle } from './game-rooms.define.js';
import type { Checkpoint, RoomDirectory, RoomEntry, SavedSeat, UserRooms } from './game-rooms.directory.js';

export interface GameRoomLimits {
  maxRooms: number;
  maxRoomsPerUser: number;
  maxSeatsPerUser: number;
  maxReservations: number;
}

/** What the rooms know of a player: who they are (a player of another node's socket too). */
export type SeatUser = Pick<AuthUser, 'userId' | 'name'>;

/** Who asks: the user and the connection their seat should use. */
export interface Caller {
  user: SeatUser;
  connection: SeatConnection;
}

export interface GameRoomHooks {
  /** The socket of a seat enters or leaves the room's `game:` Socket.IO room. */
  joinSocket(socketId: string, roomId: string): Promise<void>;
  leaveSocket(socketId: string, roomId: string): void;
  /** A socket connected to this node, as a seat's connection; null when it is not here (any more). */
  localConnection(socketId: string): SeatConnection | null;
}

/** What running over Redis takes: the registry, the bus between nodes, and who is dead. */
export interface GameRoomCluster {
  readonly nodeId: string;
  readonly directory: RoomDirectory;
  readonly bus: RoomBus;
  /** Of these nodes, the ones whose heartbeat lapsed (the connection registry's view). */
  deadNodes(nodeIds: string[]): Promise<string[]>;
  /** How often the rooms of dead nodes are looked for. */
  readonly sweepMs: number;
  /** A checkpoint longer than this is not saved (the room is then not restorable); logged once per room. */
  readonly maxCheckpointBytes: number;
}

/** A seat this node's socket holds in a room another node runs. */
interface RemoteSeat {
  owner: string;
  socketId: string;
}

/** How long a node holds the right to restore a room (it restores far sooner). */
const RESTORE_LOCK_MS = 30_000;
/** How often a room without checkpoints refreshes its registry entry. */
const ENTRY_REFRESH_MS = 1_000;
/** What a player is told to wait while the room's node is unreachable (being restored). */
export const RESTORE_RETRY_MS = 500;

const listingOf = ({ roomId, type, metadata, players, maxPlayers, createdAt }: RoomEntry): RoomListing => ({ roomId, type, metadata, players, maxPlayers, createdAt });

interface Reservation {
  roomId: string;
  userId: string;
  timer: NodeJS.Timeout;
}

const matches = (metadata: RoomMetadata, filter: RoomMetadata | undefined) => !filter || Object.entries(filter).every(([key, value]) => metadata[key] === value);

export class GameRoomService {
  private readonly types = new Map<string, AnyRoomType>();
  private readonly rooms = new Map<string, GameRoom>();
  /** Room ids each user holds a seat in. */
  private readonly seatsOf = new Map<string, Set<string>>();
  /** Per user: the last of its per-user count updates in Redis still running. */
  private readonly countUpdates = new Map<string, Promise<void>>();
  private readonly reservations = new Map<string, Reservation>();
  private hooks: GameRoomHooks | null = null;
  /** Over Redis: seats of this node's sockets in rooms of other nodes, by room and user. */
  private readonly remoteSeats = new Map<string, Map<string, RemoteSeat>>();
  /** Room ids each of this node's sockets holds a remote seat in. */
  private readonly remoteBySocket = new Map<string, Set<string>>();
  private readonly checkpointTimers = new Map<string, NodeJS.Timeout>();
  /** What each room's last saved checkpoint held (its state and seats), to skip rewriting it. */
  private readonly lastSaved = new Map<string, string>();
  private readonly dirty = new Set<string>();
  private readonly oversized = new Set<string>();
  private sweepTimer: NodeJS.Timeout | null = null;
  private sweeping: Promise<void> | null = null;
  /** Registry removals of closed rooms under way (shutdown waits for them). */
  private readonly removals = new Set<Promise<void>>();

  constructor(
    private readonly limits: GameRoomLimits,
    private readonly logger: Logger,
    private readonly validateState: boolean,
    private readonly now: () => number,
    private readonly cluster: GameRoomCluster | null = null,
  ) {}

  /** Called by each `defineRoom` feature; a type given twice is a composition mistake. */
  register(type: AnyRoomType): void {
    if (this.types.has(type.type)) throw new Error(`room type ${type.type} is registered twice`);
    this.types.set(type.type, type);
  }

  attach(hooks: GameRoomHooks): void {
    this.hooks = hooks;
  }

  private typeOf(name: string): AnyRoomType {
    const type = this.types.get(name);
    if (!type) throw notFound(`no room type ${name} on this server`);
    return type;
  }

  private roomOf(roomId: string): GameRoom {
    const room = this.rooms.get(roomId);
    if (!room || room.closed) throw notFound(`no room ${roomId} on this node`);
    return room;
  }

  /** Whether `userId` holds a seat in `roomId`, here or through this node (the `game:` room kind's access policy). */
  hasSeat(userId: string, roomId: string): boolean {
    return (this.rooms.get(roomId)?.seats.has(userId) ?? false) || (this.remoteSeats.get(roomId)?.has(userId) ?? false);
  }

  /**
   * Creates a room of `typeName` without seating anyone: for matchmaking, which then reserves
   * the seats. `createdBy` counts against that user's rooms.
   */
  createRoom(typeName: string, options: unknown, { createdBy, isPrivate = false }: { createdBy: string; isPrivate?: boolean }): RoomHandle<unknown> {
    const type = this.typeOf(typeName);
    if (this.rooms.size >= this.limits.maxRooms) throw new AppError(ErrorCode.LIMIT_EXCEEDED, `this node runs at most ${this.limits.maxRooms} rooms`);
    const owned = [...this.rooms.values()].filter((room) => room.createdBy === createdBy).length;
    if (owned >= this.limits.maxRoomsPerUser) throw new AppError(ErrorCode.LIMIT_EXCEEDED, `at most ${this.limits.maxRoomsPerUser} rooms per user`);
    let parsedOptions: unknown = options ?? {};
    if (type.options) {
      const parsed = type.options.safeParse(parsedOptions);
      if (!parsed.success) throw fromZodError(parsed.error);
      parsedOptions = parsed.data;
    }
    const room = new GameRoom(randomId(), type, createdBy, isPrivate, this.now(), this.roomEvents, this.validateState);
    const initial = type.onCreate(room.handle, parsedOptions);
    room.start(initial);
    this.rooms.set(room.id, room);
    this.startCheckpoints(room);
    this.countAcross('created', createdBy, room, true);
    return room.handle;
  }

  async create(caller: Caller, typeName: string, options: unknown, isPrivate: boolean): Promise<RoomJoined> {
    if (this.typeOf(typeName).limits.requireReservation) throw new AppError(ErrorCode.FORBIDDEN, `${typeName} rooms are made by the server (matchmaking), joined by reservation`);
    await this.assertQuotaAcross('seats', caller.user.userId);
    await this.assertQuotaAcross('created', caller.user.userId);
    this.assertSeatQuota(caller.user.userId);
    const handle = this.createRoom(typeName, options, { createdBy: caller.user.userId, isPrivate });
    const room = this.roomOf(handle.id);
    try {
      return await this.seat(caller, room, undefined);
    } catch (error) {
      if (room.seats.size === 0) room.close('disposed');
      throw error;
    }
  }

  async join(caller: Caller, roomId: string, reservation: string | undefined, rejoinOnly = false): Promise<RoomJoined> {
    const room = this.rooms.get(roomId);
    if (!room || room.closed) return this.joinRemote(caller, roomId, { reservation, rejoin: rejoinOnly });
    if (rejoinOnly && !room.seats.has(caller.user.userId)) throw notFound(`no seat is kept for you in room ${roomId}`);
    return this.seat(caller, room, reservation);
  }

  async joinOrCreate(caller: Caller, typeName: string, options: unknown, filter: RoomMetadata | undefined): Promise<RoomJoined> {
    const type = this.typeOf(typeName);
    const kept = [...(this.seatsOf.get(caller.user.userId) ?? [])].map((id) => this.rooms.get(id)).find((room) => room?.type === type && !room.closed);
    if (kept) return this.seat(caller, kept, undefined);
    const refused = (error: unknown) => error instanceof AppError && error.code !== ErrorCode.INTERNAL;
    if (!type.limits.requireReservation) {
      const candidates = [...this.rooms.values()]
        .filter((room) => room.type === type && !room.closed && !room.isPrivate && !room.locked && !room.full && matches(room.metadata, filter))
        .sort((a, b) => b.playerCount - a.playerCount || a.createdAt - b.createdAt);
      for (const room of candidates) {
        try {
          return await this.seat(caller, room, undefined);
        } catch (error) {
          if (!refused(error)) throw error; // refused by this room: try the next
        }
      }
      for (const entry of await this.remoteCandidates(typeName, filter)) {
        try {
          return await this.joinRemote(caller, entry.roomId, { reservation: undefined, rejoin: false }, entry.owner);
        } catch (error) {
          if (!refused(error)) throw error;
        }
      }
    }
    return this.create(caller, typeName, options, false);
  }

  /** Public rooms of other nodes where `typeName` has a free seat, fullest first; none when the registry is down. */
  private async remoteCandidates(typeName: string, filter: RoomMetadata | undefined): Promise<RoomEntry[]> {
    if (!this.cluster) return [];
    const nodeId = this.cluster.nodeId;
    try {
      const entries = await this.cluster.directory.list((entry) => entry.owner !== nodeId && entry.type === typeName && entry.available && matches(entry.metadata, filter), 20);
      return entries.sort((a, b) => b.players - a.players || a.createdAt - b.createdAt);
    } catch (error) {
      if (error instanceof AppError) return [];
      throw error;
    }
  }

  /** Gives the caller a seat in `room` (a new one, or the one kept for them). */
  private async seat(caller: Caller, room: GameRoom, reservationId: string | undefined): Promise<RoomJoined> {
    const { userId } = caller.user;
    if (!room.seats.has(userId)) await this.assertQuotaAcross('seats', userId);
    const kept = room.seats.get(userId);
    if (kept) {
      const previous = kept.connection;
      room.reconnect(kept, caller.connection);
      if (previous && previous.socketId !== caller.connection.socketId) {
        previous.send('room:left', { roomId: room.id, reason: 'replaced' });
        this.hooks?.leaveSocket(previous.socketId, room.id);
      }
      await this.hooks?.joinSocket(caller.connection.socketId, room.id);
      try {
        room.run('onJoin', () => room.type.onJoin?.(room.handle, kept.player, { rejoin: true }));
      } catch (error) {
        this.logger.error({ err: error, roomId: room.id }, 'onJoin of a rejoin threw; the seat is kept');
      }
      return room.joined(kept, true);
    }
    const reservation = reservationId === undefined ? undefined : this.reservations.get(reservationId);
    if (room.type.limits.requireReservation || reservationId !== undefined) {
      if (!reservation || reservation.roomId !== room.id || reservation.userId !== userId) throw new AppError(ErrorCode.FORBIDDEN, 'this room needs a valid seat reservation');
    }
    if (room.locked && !reservation) throw new AppError(ErrorCode.PRECONDITION_FAILED, 'the room is locked');
    if (reservation ? room.seats.size >= room.type.limits.maxPlayers : room.full) throw new AppError(ErrorCode.LIMIT_EXCEEDED, `the room holds at most ${room.type.limits.maxPlayers} players`);
    this.assertSeatQuota(userId);
    const player = { userId, name: caller.user.name, seatId: randomId(), connected: true };
    room.run('onJoin', () => room.type.onJoin?.(room.handle, player, { rejoin: false }));
    if (room.closed) throw notFound(`room ${room.id} closed`);
    if (reservation) this.dropReservation(reservationId!);
    const seat: Seat = { player, connection: caller.connection, seq: 0, baseline: undefined, graceTimer: null };
    room.addSeat(seat);
    this.indexSeat(userId, room.id);
    this.countAcross('seats', userId, room, true);
    try {
      await this.hooks?.joinSocket(caller.connection.socketId, room.id);
    } catch (error) {
      room.release(seat, true);
      throw error;
    }
    return room.joined(seat, false);
  }

  /**
   * Over Redis, the quota of seats (or rooms created) per user over every node; while the
   * registry is unreachable each node counts its own (`assertSeatQuota`, `createRoom`).
   */
  private async assertQuotaAcross(kind: UserRooms, userId: string): Promise<void> {
    if (!this.cluster) return;
    let rooms: string[];
    try {
      rooms = await this.cluster.directory.userRooms(kind, userId);
    } catch (error) {
      if (error instanceof AppError) return;
      throw error;
    }
    const [max, what] = kind === 'seats' ? [this.limits.maxSeatsPerUser, 'seats'] : [this.limits.maxRoomsPerUser, 'rooms'];
    if (rooms.length >= max) throw new AppError(ErrorCode.LIMIT_EXCEEDED, `at most ${max} ${what} per user`);
  }

  /** Counts (or stops counting) a room against a user's quota over every node; in the background. */
  private countAcross(kind: UserRooms, userId: string, room: GameRoom, add: boolean): void {
    const directory = this.cluster?.directory;
    if (!directory) return;
    const ttlMs = Math.max(1, room.type.limits.maxLifetimeMs - (this.now() - room.createdAt));
    const update = (add ? directory.addUserRoom(kind, userId, room.id, ttlMs) : directory.removeUserRoom(kind, userId, room.id)).catch((error: unknown) => {
      // Unreachable registry: a stale member is pruned once its room's entry is gone.
      this.logger.debug({ err: error, userId, roomId: room.id, kind }, 'per-user room count not updated');
    });
    const pending = (this.countUpdates.get(userId) ?? Promise.resolve()).then(() => update);
    this.countUpdates.set(userId, pending);
    void pending.then(() => {
      if (this.countUpdates.get(userId) === pending) this.countUpdates.delete(userId);
    });
  }

  /** Waits for the user's per-user counts in Redis to reflect what happened here (a leave acked is a seat free on every node). */
  private async countsSettled(userId: string): Promise<void> {
    await this.countUpdates.get(userId);
  }

  private assertSeatQuota(userId: string): void {
    if ((this.seatsOf.get(userId)?.size ?? 0) >= this.limits.maxSeatsPerUser) throw new AppError(ErrorCode.LIMIT_EXCEEDED, `at most ${this.limits.maxSeatsPerUser} seats per user`);
  }

  private indexSeat(userId: string, roomId: string): void {
    let set = this.seatsOf.get(userId);
    if (!set) this.seatsOf.set(userId, (set = new Set()));
    set.add(roomId);
  }

  private unindexSeat(userId: string, roomId: string): void {
    const set = this.seatsOf.get(userId);
    set?.delete(roomId);
    if (set?.size === 0) this.seatsOf.delete(userId);
  }

  async leave(user: SeatUser, roomId: string, socketId: string): Promise<void> {
    if (!this.isLocal(roomId)) {
      await this.forward(roomId, 'leave', user, socketId, {});
      this.forgetRemoteSeat(roomId, user.userId, true);
      return;
    }
    await this.leaveHere(user, roomId);
  }

  private async leaveHere(user: SeatUser, roomId: string): Promise<void> {
    const room = this.roomOf(roomId);
    const seat = room.seats.get(user.userId);
    if (!seat) throw notFound(`you hold no seat in room ${roomId}`);
    const socketId = seat.connection?.socketId;
    room.release(seat, true);
    if (socketId) this.hooks?.leaveSocket(socketId, roomId);
    await this.countsSettled(user.userId);
  }

  async sync(user: SeatUser, roomId: string, connection: SeatConnection): Promise<RoomState> {
    if (!this.isLocal(roomId)) return (await this.forward(roomId, 'sync', user, connection.socketId, {})).data as RoomState;
    return this.syncHere(user, roomId, connection);
  }

  private syncHere(user: SeatUser, roomId: string, connection: SeatConnection): RoomState {
    const seat = this.connectedSeat(user, roomId, connection);
    return this.roomOf(roomId).snapshotFor(seat);
  }

  private connectedSeat(user: SeatUser, roomId: string, connection: SeatConnection): Seat {
    const seat = this.roomOf(roomId).seats.get(user.userId);
    if (!seat || seat.connection?.socketId !== connection.socketId) throw new AppError(ErrorCode.FORBIDDEN, `you hold no seat in room ${roomId} on this connection`);
    return seat;
  }

  /** Runs a room message's handler for the sender's seat (on the room's node, wherever that is). */
  message(ctx: { user: SeatUser; socket: { id: string } }, type: AnyRoomType, roomId: string, event: string, payload: unknown): unknown {
    if (!this.isLocal(roomId)) return this.forward(roomId, 'message', ctx.user, ctx.socket.id, { type: type.type, event, payload }).then(({ data }) => data);
    return this.messageHere(ctx.user, ctx.socket.id, type.type, roomId, event, payload);
  }

  private messageHere(user: SeatUser, socketId: string, typeName: string, roomId: string, event: string, payload: unknown): unknown {
    const room = this.roomOf(roomId);
    if (room.type.type !== typeName) throw notFound(`room ${roomId} is not a ${typeName} room`);
    const seat = room.seats.get(user.userId);
    if (!seat || seat.connection?.socketId !== socketId) throw new AppError(ErrorCode.FORBIDDEN, `you hold no seat in room ${roomId} on this connection`);
    const handler = room.type.messages[event];
    if (!handler) throw notFound(`room type ${typeName} has no message ${event}`);
    return room.run(`a message's handler`, () => handler(room.handle, seat.player, payload));
  }

  /** The public rooms of every node over Redis (of this node while the registry is unreachable). */
  async list(query: { type?: string | undefined; filter?: RoomMetadata | undefined; available?: boolean | undefined; limit?: number | undefined }): Promise<RoomListing[]> {
    if (this.cluster) {
      const { type, filter, available, limit = 50 } = query;
      try {
        const entries = await this.cluster.directory.list((entry) => (type === undefined || entry.type === type) && matches(entry.metadata, filter) && (!available || entry.available), limit);
        return entries.map(listingOf);
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        this.logger.warn({ err: error }, 'room registry unreachable: listing this node only');
      }
    }
    return this.listHere(query);
  }

  private listHere({ type, filter, available, limit = 50 }: { type?: string | undefined; filter?: RoomMetadata | undefined; available?: boolean | undefined; limit?: number | undefined }): RoomListing[] {
    const listed: RoomListing[] = [];
    for (const room of this.rooms.values()) {
      if (room.closed || room.isPrivate || (type !== undefined && room.type.type !== type) || !matches(room.metadata, filter)) continue;
      if (available && (room.full || room.locked)) continue;
      listed.push({ roomId: room.id, type: room.type.type, metadata: room.metadata, players: room.playerCount, maxPlayers: room.type.limits.maxPlayers, createdAt: room.createdAt });
      if (listed.length >= limit) break;
    }
    return listed;
  }

  /**
   * Reserves a seat in `roomId` for `userId` (matchmaking): the reservation's id is what the
   * player gives `room:join`. It expires after `ttlMs` and holds a seat of the room's cap.
   */
  reserve(roomId: string, userId: string, ttlMs = 30_000): string {
    const room = this.roomOf(roomId);
    if (this.reservations.size >= this.limits.maxReservations) throw new AppError(ErrorCode.LIMIT_EXCEEDED, `at most ${this.limits.maxReservations} seat reservations at once`);
    if (room.full) throw new AppError(ErrorCode.LIMIT_EXCEEDED, `the room holds at most ${room.type.limits.maxPlayers} players`);
    const id = randomId();
    const timer = setTimeout(() => this.dropReservation(id), ttlMs);
    timer.unref();
    this.reservations.set(id, { roomId, userId, timer });
    room.reserved += 1;
    return id;
  }

  private dropReservation(id: string): void {
    const reservation = this.reservations.get(id);
    if (!reservation) return;
    clearTimeout(reservation.timer);
    this.reservations.delete(id);
    const room = this.rooms.get(reservation.roomId);
    if (room) room.reserved -= 1;
  }

  /** A socket closed: each seat it held is kept for its room's grace period (on whichever node runs the room). */
  disconnected(socketId: string, userId: string): void {
    for (const roomId of this.seatsOf.get(userId) ?? []) {
      const room = this.rooms.get(roomId);
      const seat = room?.seats.get(userId);
      if (room && seat?.connection?.socketId === socketId) room.drop(seat);
    }
    for (const roomId of [...(this.remoteBySocket.get(socketId) ?? [])]) {
      const owner = this.remoteSeats.get(roomId)?.get(userId)?.owner;
      this.forgetRemoteSeat(roomId, userId, false, socketId);
      if (owner) this.cluster?.bus.dropped(owner, { roomId, userId, socketId });
    }
  }

  /** The room's handle, for the studio's own code (matchmaking, admin). */
  find(roomId: string): RoomHandle<unknown> | undefined {
    const room = this.rooms.get(roomId);
    return room && !room.closed ? room.handle : undefined;
  }

  async stop(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    await this.sweeping;
    const closing = [...this.rooms.values()];
    for (const room of closing) room.close('shutdown');
    for (const id of [...this.reservations.keys()]) this.dropReservation(id);
    await Promise.allSettled(this.removals);
    await this.cluster?.bus.stop();
  }

  private readonly roomEvents = {
    closed: (room: GameRoom) => {
      for (const seat of room.seats.values()) {
        this.unindexSeat(seat.player.userId, room.id);
        if (seat.connection) this.hooks?.leaveSocket(seat.connection.socketId, room.id);
      }
      for (const [id, reservation] of this.reservations) if (reservation.roomId === room.id) this.dropReservation(id);
      for (const seat of room.seats.values()) this.countAcross('seats', seat.player.userId, room, false);
      this.countAcross('created', room.createdBy, room, false);
      this.rooms.delete(room.id);
      this.stopCheckpoints(room.id);
      if (!this.cluster) return;
      const removal = this.cluster.directory.remove(room.id).catch((error: unknown) => {
        // Unreachable registry: the entry and checkpoint expire by themselves.
        this.logger.debug({ err: error, roomId: room.id }, 'closed room not removed from the registry');
      });
      this.removals.add(removal);
      void removal.finally(() => this.removals.delete(removal));
    },
    seatReleased: (room: GameRoom, userId: string) => {
      this.unindexSeat(userId, room.id);
      this.countAcross('seats', userId, room, false);
    },
    seatsChanged: (room: GameRoom) => this.saveSoon(room),
    error: (room: GameRoom, where: string, error: unknown) => this.logger.error({ err: error, roomId: room.id, type: room.type.type }, `room ${where} threw`),
  };

  // ---- Over Redis: a player's node and the room's node -------------------------------------

  private isLocal(roomId: string): boolean {
    const room = this.rooms.get(roomId);
    return !this.cluster || (room !== undefined && !room.closed);
  }

  /**
   * Runs `op` on the node that runs `roomId`: the one this node's seat there knows, else the
   * registry's. When that node is gone or no longer has the room, the registry is read again
   * once (the room may have been restored elsewhere meanwhile).
   */
  private async forward(roomId: string, op: CallOp, user: SeatUser, socketId: string, args: unknown, known?: string): Promise<{ data: unknown; owner: string }> {
    const cluster = this.cluster!;
    let owner = known ?? this.remoteSeats.get(roomId)?.get(user.userId)?.owner ?? (await cluster.directory.entry(roomId))?.owner;
    for (let attempt = 0; ; attempt += 1) {
      if (owner === undefined) throw notFound(`room ${roomId}`);
      if (owner === cluster.nodeId) {
        // The registry says here, but the room is not (it closed, or is being restored here).
        throw new AppError(ErrorCode.UNAVAILABLE, `room ${roomId} is being restored, try again shortly`, { retryAfterMs: RESTORE_RETRY_MS });
      }
      try {
        return { data: await cluster.bus.call(owner, op, roomId, user, socketId, args), owner };
      } catch (error) {
        const stale = error instanceof NodeUnreachable || (error instanceof AppError && error.code === ErrorCode.NOT_FOUND);
        if (!stale || attempt > 0) throw error instanceof NodeUnreachable ? new AppError(ErrorCode.UNAVAILABLE, error.message, { retryAfterMs: RESTORE_RETRY_MS }) : error;
        const again = (await cluster.directory.entry(roomId))?.owner;
        if (again === owner && error instanceof AppError && error.code === ErrorCode.NOT_FOUND) throw error;
        if (again === owner) throw new AppError(ErrorCode.UNAVAILABLE, error.message, { retryAfterMs: RESTORE_RETRY_MS });
        owner = again;
        const seat = this.remoteSeats.get(roomId)?.get(user.userId);
        if (seat && owner !== undefined) seat.owner = owner;
      }
    }
  }

  /** A join of a room this node does not run: forwarded to its node, and the seat remembered here. */
  private async joinRemote(caller: Caller, roomId: string, args: { reservation: string | undefined; rejoin: boolean }, known?: string): Promise<RoomJoined> {
    if (!this.cluster) throw notFound(`no room ${roomId} on this node`);
    const { userId } = caller.user;
    const heldHere = this.remoteSeats.get(roomId)?.has(userId) ?? false;
    if (!heldHere) this.assertSeatQuota(userId);
    const socketId = caller.connection.socketId;
    const { data, owner } = await this.forward(roomId, 'join', caller.user, socketId, args, known);
    const seats = this.remoteSeats.get(roomId) ?? new Map<string, RemoteSeat>();
    this.remoteSeats.set(roomId, seats);
    const previous = seats.get(userId);
    if (previous && previous.socketId !== socketId) this.untrackSocket(previous.socketId, roomId);
    seats.set(userId, { owner, socketId });
    let rooms = this.remoteBySocket.get(socketId);
    if (!rooms) this.remoteBySocket.set(socketId, (rooms = new Set()));
    rooms.add(roomId);
    this.indexSeat(userId, roomId);
    await this.hooks?.joinSocket(socketId, roomId);
    return data as RoomJoined;
  }

  /** A room restored here: what this node knew of its remote seats is now its own seats. */
  private untrackRoom(roomId: string): void {
    for (const seat of this.remoteSeats.get(roomId)?.values() ?? []) {
      const rooms = this.remoteBySocket.get(seat.socketId);
      rooms?.delete(roomId);
      if (rooms?.size === 0) this.remoteBySocket.delete(seat.socketId);
    }
    this.remoteSeats.delete(roomId);
  }

  private untrackSocket(socketId: string, roomId: string): void {
    const rooms = this.remoteBySocket.get(socketId);
    rooms?.delete(roomId);
    if (rooms?.size === 0) this.remoteBySocket.delete(socketId);
    this.hooks?.leaveSocket(socketId, roomId);
  }

  /**
   * This node's socket no longer holds its seat in a remote room (left, replaced, closed, or the
   * socket closed); with `socketId`, only if the seat is still that socket's (not a newer one's).
   */
  private forgetRemoteSeat(roomId: string, userId: string, leaveSocket: boolean, socketId?: string): void {
    const seats = this.remoteSeats.get(roomId);
    const seat = seats?.get(userId);
    if (!seats || !seat || (socketId !== undefined && seat.socketId !== socketId)) return;
    seats.delete(userId);
    if (seats.size === 0) this.remoteSeats.delete(roomId);
    this.unindexSeat(userId, roomId);
    const rooms = this.remoteBySocket.get(seat.socketId);
    rooms?.delete(roomId);
    if (rooms?.size === 0) this.remoteBySocket.delete(seat.socketId);
    if (leaveSocket) this.hooks?.leaveSocket(seat.socketId, roomId);
  }

  /** A seat whose socket is on another node: its frames go through that node's inbox. */
  private remoteConnection(nodeId: string, socketId: string, userId: string): SeatConnection {
    const bus = this.cluster!.bus;
    return {
      socketId,
      nodeId,
      send: (event: Frame['event'], data: { roomId: string }) => bus.send(nodeId, { roomId: data.roomId, userId, socketId, event, data }),
    };
  }

  /** Starts the cluster side: the bus, and the sweep that restores the rooms of dead nodes. */
  async startCluster(): Promise<void> {
    const cluster = this.cluster;
    if (!cluster) return;
    await cluster.bus.start({
      call: (call) => this.answer(call),
      frames: (from, frames) => this.deliver(from, frames),
      dropped: (dropped) => this.remoteDropped(dropped),
      undelivered: (frames) => {
        for (const { roomId, userId, socketId } of frames) this.remoteDropped({ t: 'dropped', roomId, userId, socketId });
      },
    });
    this.sweepTimer = setInterval(() => {
      if (this.sweeping) return;
      this.sweeping = this.sweep().finally(() => (this.sweeping = null));
    }, cluster.sweepMs);
    this.sweepTimer.unref();
  }

  /** A command of a player on another node, for a room of this node. */
  private async answer(call: Call): Promise<unknown> {
    const connection = this.remoteConnection(call.from, call.socketId, call.user.userId);
    const caller: Caller = { user: call.user, connection };
    const args = (call.args ?? {}) as Record<string, unknown>;
    const room = this.rooms.get(call.roomId);
    if (!room || room.closed) throw notFound(`room ${call.roomId}`);
    switch (call.op) {
      case 'join': {
        const rejoin = args['rejoin'] === true;
        if (rejoin && !room.seats.has(call.user.userId)) throw notFound(`no seat is kept for you in room ${call.roomId}`);
        return this.seat(caller, room, typeof args['reservation'] === 'string' ? args['reservation'] : undefined);
      }
      case 'leave':
        await this.leaveHere(call.user, call.roomId);
        return {};
      case 'sync':
        return this.syncHere(call.user, call.roomId, connection);
      case 'message':
        return this.messageHere(call.user, call.socketId, String(args['type']), call.roomId, String(args['event']), args['payload']);
    }
  }

  /** Frames from a room's node for this node's sockets; a socket that is gone is reported back. */
  private deliver(from: string, frames: Frame[]): void {
    for (const frame of frames) {
      const connection = this.hooks?.localConnection(frame.socketId);
      if (!connection) {
        this.forgetRemoteSeat(frame.roomId, frame.userId, false, frame.socketId);
        this.cluster?.bus.dropped(from, { roomId: frame.roomId, userId: frame.userId, socketId: frame.socketId });
        continue;
      }
      const seat = this.remoteSeats.get(frame.roomId)?.get(frame.userId);
      // A room restored elsewhere: its new node is where this seat's commands go now.
      if (seat && seat.socketId === frame.socketId) seat.owner = from;
      (connection.send as (event: string, data: unknown) => void)(frame.event, frame.data);
      if (frame.event === 'room:left' || frame.event === 'room:closed') this.forgetRemoteSeat(frame.roomId, frame.userId, true, frame.socketId);
    }
  }

  /** A remote seat's socket is gone: the seat is kept for the grace period, like a local drop. */
  private remoteDropped({ roomId, userId, socketId }: Dropped): void {
    const room = this.rooms.get(roomId);
    const seat = room?.seats.get(userId);
    if (room && seat?.connection?.socketId === socketId) room.drop(seat);
  }

  // ---- Over Redis: checkpoints and the registry -------------------------------------------

  private startCheckpoints(room: GameRoom): void {
    if (!this.cluster) return;
    const timer = setInterval(() => void this.save(room), room.type.limits.checkpointMs || ENTRY_REFRESH_MS);
    timer.unref();
    this.checkpointTimers.set(room.id, timer);
    this.saveSoon(room);
  }

  private stopCheckpoints(roomId: string): void {
    const timer = this.checkpointTimers.get(roomId);
    if (timer) clearInterval(timer);
    this.checkpointTimers.delete(roomId);
    this.lastSaved.delete(roomId);
    this.dirty.delete(roomId);
    this.oversized.delete(roomId);
  }

  /** A seat changed: the checkpoint is saved at the end of this turn (once for every change of it). */
  private saveSoon(room: GameRoom): void {
    if (!this.cluster || this.dirty.has(room.id)) return;
    this.dirty.add(room.id);
    setImmediate(() => {
      this.dirty.delete(room.id);
      void this.save(room);
    });
  }

  private entryOf(room: GameRoom): RoomEntry {
    return {
      roomId: room.id,
      type: room.type.type,
      owner: this.cluster!.nodeId,
      metadata: room.metadata,
      players: room.playerCount,
      maxPlayers: room.type.limits.maxPlayers,
      createdAt: room.createdAt,
      isPrivate: room.isPrivate,
      available: !room.full && !room.locked,
    };
  }

  /** The room's checkpoint as JSON, and whether it holds anything else than the last save held. */
  private checkpointOf(room: GameRoom): { json: string; changed: boolean } {
    const cluster = this.cluster!;
    const restorable = room.type.limits.checkpointMs > 0 && !this.oversized.has(room.id);
    const seats: SavedSeat[] = [...room.seats.values()].map(({ player, seq, connection }) => ({
      userId: player.userId,
      name: player.name,
      seatId: player.seatId,
      seq,
      nodeId: connection ? (connection.nodeId ?? cluster.nodeId) : null,
      socketId: connection?.socketId ?? null,
    }));
    const body = JSON.stringify([restorable ? room.state : null, seats, room.metadata, room.locked]);
    const changed = this.lastSaved.get(room.id) !== body;
    this.lastSaved.set(room.id, body);
    const checkpoint: Checkpoint = {
      roomId: room.id,
      type: room.type.type,
      createdBy: room.createdBy,
      isPrivate: room.isPrivate,
      createdAt: room.createdAt,
      metadata: room.metadata,
      locked: room.locked,
      seats,
      state: restorable ? room.state : null,
      restorable,
      savedAt: this.now(),
    };
    const json = JSON.stringify(checkpoint);
    if (json.length <= cluster.maxCheckpointBytes || !restorable) return { json, changed };
    this.oversized.add(room.id);
    this.logger.warn({ roomId: room.id, type: room.type.type, bytes: json.length, max: cluster.maxCheckpointBytes }, 'room checkpoint too large: the room is no longer restorable');
    return this.checkpointOf(room);
  }

  private async save(room: GameRoom): Promise<void> {
    if (room.closed || !this.cluster) return;
    const checkpoint = this.checkpointOf(room);
    try {
      const owned = await this.cluster.directory.save(this.entryOf(room), checkpoint);
      if (!owned && !room.closed) {
        // Another node restored this room while this one was cut off: it runs there now.
        this.logger.warn({ roomId: room.id }, 'room taken over by another node: no longer run here');
        this.abandon(room);
      }
    } catch (error) {
      this.lastSaved.delete(room.id);
      if (!(error instanceof AppError)) this.logger.error({ err: error, roomId: room.id }, 'room checkpoint failed');
    }
  }

  /** Stops running a room without telling its players (they are another node's now). */
  private abandon(room: GameRoom): void {
    for (const seat of room.seats.values()) this.unindexSeat(seat.player.userId, room.id);
    room.abandon();
    this.rooms.delete(room.id);
    this.stopCheckpoints(room.id);
  }

  // ---- Over Redis: restoring the rooms of a dead node --------------------------------------

  private async sweep(): Promise<void> {
    const cluster = this.cluster!;
    try {
      const owners = await cluster.directory.owners();
      for (const dead of await cluster.deadNodes(owners)) await this.restoreNode(dead);
    } catch (error) {
      if (!(error instanceof AppError)) this.logger.error({ err: error }, 'game-room restore sweep failed');
    }
  }

  private async restoreNode(dead: string): Promise<void> {
    const { directory } = this.cluster!;
    for (const roomId of await directory.roomsOf(dead)) {
      if (this.rooms.has(roomId) || !(await directory.lock(roomId, RESTORE_LOCK_MS))) continue;
      const [entry, checkpoint] = await Promise.all([directory.entry(roomId), directory.checkpoint(roomId)]);
      if (entry && entry.owner !== dead) {
        await directory.forget(dead, roomId, true); // restored by another node already
        continue;
      }
      const type = checkpoint ? this.types.get(checkpoint.type) : undefined;
      if (checkpoint && !type) {
        await directory.unlock(roomId); // a node that runs this type restores it
        continue;
      }
      const restored = checkpoint && type ? await this.restoreRoom(checkpoint, type, dead) : false;
      if (!restored && checkpoint) this.tellLost(checkpoint, dead);
      await directory.forget(dead, roomId, restored);
    }
    await directory.dropOwner(dead);
  }

  /** The seats of a checkpoint whose sockets live on: on this node, or on another live one. */
  private connectionOf(saved: SavedSeat, dead: string): SeatConnection | null {
    if (saved.nodeId === null || saved.socketId === null || saved.nodeId === dead) return null;
    if (saved.nodeId === this.cluster!.nodeId) return this.hooks?.localConnection(saved.socketId) ?? null;
    return this.remoteConnection(saved.nodeId, saved.socketId, saved.userId);
  }

  /** Restores a dead node's room here from its checkpoint; false when it cannot be (it is then closed). */
  private async restoreRoom(checkpoint: Checkpoint, type: AnyRoomType, dead: string): Promise<boolean> {
    const cluster = this.cluster!;
    const { roomId } = checkpoint;
    const parsed = type.state.safeParse(checkpoint.state);
    if (!checkpoint.restorable || !parsed.success) {
      if (checkpoint.restorable) this.logger.error({ roomId, type: type.type, err: parsed.error }, 'room checkpoint does not match its state schema: not restored');
      return false;
    }
    const room = new GameRoom(roomId, type, checkpoint.createdBy, checkpoint.isPrivate, checkpoint.createdAt, this.roomEvents, this.validateState);
    room.metadata = checkpoint.metadata;
    room.locked = checkpoint.locked;
    const seats: Seat[] = checkpoint.seats.map((saved) => ({
      player: { userId: saved.userId, name: saved.name, seatId: saved.seatId, connected: true },
      connection: this.connectionOf(saved, dead),
      seq: saved.seq,
      baseline: undefined,
      graceTimer: null,
    }));
    // The handle shows the seats (all connected) while onRestore runs; then each takes its place.
    for (const seat of seats) room.seats.set(seat.player.userId, seat);
    try {
      const state = type.onRestore ? type.onRestore(room.handle, parsed.data) : parsed.data;
      room.seats.clear();
      room.start(state, 'onRestore');
    } catch (error) {
      room.seats.clear();
      this.logger.error({ err: error, roomId, type: type.type }, 'onRestore threw: the room is not restored');
      return false;
    }
    if (!(await cluster.directory.takeOver(this.entryOf(room), dead))) {
      room.abandon();
      return true; // another node had it first: what it runs is the room
    }
    this.rooms.set(roomId, room);
    this.untrackRoom(roomId);
    for (const seat of seats) {
      this.indexSeat(seat.player.userId, roomId);
      room.restoreSeat(seat);
      if (seat.connection && seat.connection.nodeId === null) await this.hooks?.joinSocket(seat.connection.socketId, roomId);
    }
    this.startCheckpoints(room);
    this.logger.warn(
      { roomId, type: type.type, from: dead, seats: seats.length, connected: seats.filter((seat) => seat.connection).length, checkpointAgeMs: this.now() - checkpoint.savedAt },
      'game room restored from its checkpoint',
    );
    return true;
  }

  /** A room that could not be restored: its players still connected somewhere are told it is gone. */
  private tellLost(checkpoint: Checkpoint, dead: string): void {
    const closed: RoomClosed = { roomId: checkpoint.roomId, reason: 'lost' };
    for (const saved of checkpoint.seats) this.connectionOf(saved, dead)?.send('room:closed', closed);
    this.logger.warn({ roomId: checkpoint.roomId, type: checkpoint.type, from: dead }, 'game room of a dead node closed: not restorable');
  }
}
