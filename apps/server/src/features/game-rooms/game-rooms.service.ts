/**
 * The rooms this node runs: create, join (with seat reservations and kept seats), leave, the
 * room list, and the quotas on all of them. Rooms are local to this node: a player reaches
 * a room only through a socket connected to the node that created it.
 */
import { ErrorCode, type RoomJoined, type RoomListing, type RoomMetadata, type RoomState } from '@tavern/protocol';
import { AppError, fromZodError, notFound, randomId, type AuthUser, type Logger } from '../../api.js';
import { GameRoom, type Seat, type SeatConnection } from './game-room.js';
import type { AnyRoomType, RoomHandle, RoomPlayer } from './game-rooms.define.js';

export interface GameRoomLimits {
  maxRooms: number;
  maxRoomsPerUser: number;
  maxSeatsPerUser: number;
  maxReservations: number;
}

/** Who asks: the user and the connection their seat should use. */
export interface Caller {
  user: AuthUser;
  connection: SeatConnection;
}

export interface GameRoomHooks {
  /** The socket of a seat enters or leaves the room's `game:` Socket.IO room. */
  joinSocket(socketId: string, roomId: string): Promise<void>;
  leaveSocket(socketId: string, roomId: string): void;
}

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
  private readonly reservations = new Map<string, Reservation>();
  private hooks: GameRoomHooks | null = null;

  constructor(
    private readonly limits: GameRoomLimits,
    private readonly logger: Logger,
    private readonly validateState: boolean,
    private readonly now: () => number,
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

  /** Whether `userId` holds a seat in `roomId` (the `game:` room kind's access policy). */
  hasSeat(userId: string, roomId: string): boolean {
    return this.rooms.get(roomId)?.seats.has(userId) ?? false;
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
    return room.handle;
  }

  async create(caller: Caller, typeName: string, options: unknown, isPrivate: boolean): Promise<RoomJoined> {
    if (this.typeOf(typeName).limits.requireReservation) throw new AppError(ErrorCode.FORBIDDEN, `${typeName} rooms are made by the server (matchmaking), joined by reservation`);
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
    const room = this.roomOf(roomId);
    if (rejoinOnly && !room.seats.has(caller.user.userId)) throw notFound(`no seat is kept for you in room ${roomId}`);
    return this.seat(caller, room, reservation);
  }

  async joinOrCreate(caller: Caller, typeName: string, options: unknown, filter: RoomMetadata | undefined): Promise<RoomJoined> {
    const type = this.typeOf(typeName);
    const kept = [...(this.seatsOf.get(caller.user.userId) ?? [])].map((id) => this.rooms.get(id)).find((room) => room?.type === type && !room.closed);
    if (kept) return this.seat(caller, kept, undefined);
    if (!type.limits.requireReservation) {
      const candidates = [...this.rooms.values()]
        .filter((room) => room.type === type && !room.closed && !room.isPrivate && !room.locked && !room.full && matches(room.metadata, filter))
        .sort((a, b) => b.playerCount - a.playerCount || a.createdAt - b.createdAt);
      for (const room of candidates) {
        try {
          return await this.seat(caller, room, undefined);
        } catch (error) {
          if (!(error instanceof AppError) || error.code === ErrorCode.INTERNAL) throw error; // refused by this room: try the next
        }
      }
    }
    return this.create(caller, typeName, options, false);
  }

  /** Gives the caller a seat in `room` (a new one, or the one kept for them). */
  private async seat(caller: Caller, room: GameRoom, reservationId: string | undefined): Promise<RoomJoined> {
    const { userId } = caller.user;
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
    try {
      await this.hooks?.joinSocket(caller.connection.socketId, room.id);
    } catch (error) {
      room.release(seat, true);
      throw error;
    }
    return room.joined(seat, false);
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

  leave(user: AuthUser, roomId: string): void {
    const room = this.roomOf(roomId);
    const seat = room.seats.get(user.userId);
    if (!seat) throw notFound(`you hold no seat in room ${roomId}`);
    const socketId = seat.connection?.socketId;
    room.release(seat, true);
    if (socketId) this.hooks?.leaveSocket(socketId, roomId);
  }

  sync(user: AuthUser, roomId: string, connection: SeatConnection): RoomState {
    const seat = this.connectedSeat(user, roomId, connection);
    return this.roomOf(roomId).snapshotFor(seat);
  }

  private connectedSeat(user: AuthUser, roomId: string, connection: SeatConnection): Seat {
    const seat = this.roomOf(roomId).seats.get(user.userId);
    if (!seat || seat.connection?.socketId !== connection.socketId) throw new AppError(ErrorCode.FORBIDDEN, `you hold no seat in room ${roomId} on this connection`);
    return seat;
  }

  /** Runs a room message's handler for the sender's seat. */
  message<T>(ctx: { user: AuthUser; socket: { id: string } }, type: AnyRoomType, roomId: string, run: (room: RoomHandle<unknown>, player: RoomPlayer) => T): T {
    const room = this.roomOf(roomId);
    if (room.type !== type) throw notFound(`room ${roomId} is not a ${type.type} room`);
    const seat = room.seats.get(ctx.user.userId);
    if (!seat || seat.connection?.socketId !== ctx.socket.id) throw new AppError(ErrorCode.FORBIDDEN, `you hold no seat in room ${roomId} on this connection`);
    return room.run(`a message's handler`, () => run(room.handle, seat.player));
  }

  list({ type, filter, available, limit = 50 }: { type?: string | undefined; filter?: RoomMetadata | undefined; available?: boolean | undefined; limit?: number | undefined }): RoomListing[] {
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

  /** A socket closed: each seat it held is kept for its room's grace period. */
  disconnected(socketId: string, userId: string): void {
    for (const roomId of this.seatsOf.get(userId) ?? []) {
      const room = this.rooms.get(roomId);
      const seat = room?.seats.get(userId);
      if (room && seat?.connection?.socketId === socketId) room.drop(seat);
    }
  }

  /** The room's handle, for the studio's own code (matchmaking, admin). */
  find(roomId: string): RoomHandle<unknown> | undefined {
    const room = this.rooms.get(roomId);
    return room && !room.closed ? room.handle : undefined;
  }

  stop(): void {
    for (const room of [...this.rooms.values()]) room.close('shutdown');
    for (const id of [...this.reservations.keys()]) this.dropReservation(id);
  }

  private readonly roomEvents = {
    closed: (room: GameRoom) => {
      for (const seat of room.seats.values()) {
        this.unindexSeat(seat.player.userId, room.id);
        if (seat.connection) this.hooks?.leaveSocket(seat.connection.socketId, room.id);
      }
      for (const [id, reservation] of this.reservations) if (reservation.roomId === room.id) this.dropReservation(id);
      this.rooms.delete(room.id);
    },
    seatReleased: (room: GameRoom, userId: string) => this.unindexSeat(userId, room.id),
    error: (room: GameRoom, where: string, error: unknown) => this.logger.error({ err: error, roomId: room.id, type: room.type.type }, `room ${where} threw`),
  };
}
