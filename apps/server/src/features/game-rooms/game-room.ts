/**
 * One running room: its state, its seats, its tick and its patch loop. The state is the
 * room type's plain object, mutated in place by its handlers; every `patchIntervalMs` each
 * connected seat's view is snapshotted and compared with the snapshot the seat last got
 * (fast-json-patch `compare`), and what changed goes out as `room:patch` with that seat's
 * next sequence number. Seats without a view of their own share one snapshot and one diff.
 * No socket.io here: seats talk through the `SeatConnection` the feature gives them.
 */
import type { RoomClosed, RoomJoined, RoomLeft, RoomMetadata, RoomPatch, RoomPatchOperation, RoomState } from '@tavern/protocol';
import fastJsonPatch from 'fast-json-patch';
import type { AnyRoomType, RoomHandle, RoomPlayer } from './game-rooms.define.js';

/** How a room reaches the socket of a seat. */
export interface SeatConnection {
  readonly socketId: string;
  /** The node the socket is connected to; null: this one. */
  readonly nodeId: string | null;
  send(event: 'room:patch', data: RoomPatch): void;
  send(event: 'room:state', data: RoomState): void;
  send(event: 'room:closed', data: RoomClosed): void;
  send(event: 'room:left', data: RoomLeft): void;
}

export interface Seat {
  readonly player: RoomPlayer & { connected: boolean };
  connection: SeatConnection | null;
  /** The last sequence number this seat was sent. */
  seq: number;
  /** What this seat's copy holds now (its view at `seq`); null for shared-view seats. */
  baseline: unknown;
  graceTimer: NodeJS.Timeout | null;
}

export interface GameRoomEvents {
  /** The room ended (disposed by its logic, empty too long, over its lifetime, or shut down). */
  closed(room: GameRoom, reason: RoomClosed['reason']): void;
  /** A seat is gone for good (left, or its grace ran out). */
  seatReleased(room: GameRoom, userId: string): void;
  /** A seat was taken, dropped, taken back or released: the room's checkpoint is due. */
  seatsChanged(room: GameRoom): void;
  error(room: GameRoom, where: string, error: unknown): void;
}

export class GameRoom {
  readonly seats = new Map<string, Seat>();
  metadata: RoomMetadata = {};
  locked = false;
  closed = false;
  /** Seats held by unclaimed reservations: they count against maxPlayers and keep an empty room open. */
  reserved = 0;
  state: unknown;
  private sharedBaseline: unknown = undefined;
  private tickTimer: NodeJS.Timeout | null = null;
  private patchTimer: NodeJS.Timeout | null = null;
  private emptyTimer: NodeJS.Timeout | null = null;
  private lifetimeTimer: NodeJS.Timeout | null = null;
  private lastTickAt: number;
  readonly handle: RoomHandle<unknown>;

  constructor(
    readonly id: string,
    readonly type: AnyRoomType,
    readonly createdBy: string,
    readonly isPrivate: boolean,
    readonly createdAt: number,
    private readonly events: GameRoomEvents,
    private readonly validateState: boolean,
  ) {
    this.lastTickAt = createdAt;
    const state = () => this.state;
    const players = () => [...this.seats.values()].map((seat) => seat.player);
    this.handle = {
      id,
      type: type.type,
      get state() {
        return state();
      },
      get players() {
        return players();
      },
      setMetadata: (metadata) => {
        this.metadata = metadata;
      },
      lock: () => {
        this.locked = true;
      },
      unlock: () => {
        this.locked = false;
      },
      dispose: () => this.close('disposed'),
    };
  }

  /**
   * Starts the tick and patch loops, and the empty-room and lifetime timers. A restored room
   * (`where` is `onRestore`) keeps the lifetime left since its `createdAt`.
   */
  start(initialState: unknown, where: 'onCreate' | 'onRestore' = 'onCreate'): void {
    this.state = initialState;
    this.checkState(where);
    this.sharedBaseline = structuredClone(this.state);
    const { tickHz, patchIntervalMs, maxLifetimeMs } = this.type.limits;
    if (this.type.onTick && tickHz > 0) {
      this.tickTimer = setInterval(() => this.tick(), Math.round(1000 / tickHz));
      this.tickTimer.unref();
    }
    this.patchTimer = setInterval(() => this.flush(), patchIntervalMs);
    this.patchTimer.unref();
    this.lifetimeTimer = setTimeout(() => this.close('lifetime'), Math.max(0, maxLifetimeMs - (Date.now() - this.createdAt)));
    this.lifetimeTimer.unref();
    this.armEmptyTimer();
  }

  get playerCount(): number {
    return this.seats.size;
  }

  /** No seat left for a player without a reservation. */
  get full(): boolean {
    return this.seats.size + this.reserved >= this.type.limits.maxPlayers;
  }

  /** Runs one of the type's handlers; a throw from it is the caller's (an AppError reaches the client). */
  run<T>(where: string, fn: () => T): T {
    const result = fn();
    this.checkState(where);
    return result;
  }

  private tick(): void {
    if (this.closed) return;
    const now = Date.now();
    const delta = now - this.lastTickAt;
    this.lastTickAt = now;
    try {
      this.run('onTick', () => this.type.onTick?.(this.handle, delta));
    } catch (error) {
      // A tick that throws would throw again 20 times a second on a state it may have left
      // half-changed: the room ends instead (logged once, every seat gets room:closed).
      this.events.error(this, 'onTick', error);
      this.close('disposed');
    }
  }

  /** Outside production every handler's result is checked against the state schema. */
  private checkState(where: string): void {
    if (!this.validateState) return;
    const parsed = this.type.state.safeParse(this.state);
    if (!parsed.success) throw new Error(`room type ${this.type.type}: ${where} left a state that does not match its schema: ${parsed.error.message}`);
  }

  private viewOf(seat: Seat): unknown {
    const view = this.type.view;
    return structuredClone(view ? view(this.state, seat.player) : this.state);
  }

  /**
   * Sends every connected seat what changed since its last frame: JSON Patch operations, or
   * the full view (`room:state`, with the next seq) when that is shorter.
   */
  flush(): void {
    if (this.closed) return;
    try {
      if (this.type.view) {
        for (const seat of this.seats.values()) {
          if (!seat.connection || seat.baseline === undefined) continue;
          const next = this.viewOf(seat);
          const ops = fastJsonPatch.compare(seat.baseline as object, next as object) as RoomPatchOperation[];
          seat.baseline = next;
          if (ops.length > 0) this.sendChange(seat, ops, next);
        }
        return;
      }
      // Nobody to send to: no snapshot. Every path that connects a seat flushes first, and a
      // seat's first state is taken after that flush, so a stale baseline is never sent.
      if (![...this.seats.values()].some((seat) => seat.connection)) return;
      const next = structuredClone(this.state);
      const ops = fastJsonPatch.compare(this.sharedBaseline as object, next as object) as RoomPatchOperation[];
      this.sharedBaseline = next;
      if (ops.length === 0) return;
      const full = this.fullIsShorter(ops, next);
      for (const seat of this.seats.values()) if (seat.connection) this.sendChange(seat, ops, next, full);
    } catch (error) {
      this.events.error(this, 'view', error);
    }
  }

  /** Many operations can outweigh the state they describe (a board refilled): then send the state. */
  private fullIsShorter(ops: RoomPatchOperation[], next: unknown): boolean {
    return ops.length > 16 && JSON.stringify(ops).length > JSON.stringify(next).length;
  }

  private sendChange(seat: Seat, ops: RoomPatchOperation[], next: unknown, full = this.fullIsShorter(ops, next)): void {
    seat.seq += 1;
    if (full) seat.connection?.send('room:state', { roomId: this.id, seq: seat.seq, state: next });
    else seat.connection?.send('room:patch', { roomId: this.id, seq: seat.seq, ops });
  }

  /**
   * The full state of a seat's view, as the seat's new baseline. Pending changes go to the
   * other seats first, so that every seat's next patch starts from what it holds.
   */
  snapshotFor(seat: Seat): RoomState {
    this.flush();
    if (this.type.view) seat.baseline = this.viewOf(seat);
    return { roomId: this.id, seq: seat.seq, state: this.type.view ? structuredClone(seat.baseline) : structuredClone(this.sharedBaseline) };
  }

  joined(seat: Seat, rejoined: boolean): RoomJoined {
    const { seq, state } = this.snapshotFor(seat);
    return { roomId: this.id, type: this.type.type, seatId: seat.player.seatId, seq, state, rejoined };
  }

  /** Seats a player; what changed before (their arrival in the state included) goes to the others first. */
  addSeat(seat: Seat): void {
    this.flush();
    this.seats.set(seat.player.userId, seat);
    this.clearEmptyTimer();
    this.events.seatsChanged(this);
  }

  /**
   * A restored room's seat: sent the full state when its connection lives on, kept for the
   * grace period otherwise. Call after `start`.
   */
  restoreSeat(seat: Seat): void {
    this.clearEmptyTimer();
    const connection = seat.connection;
    if (!connection) {
      this.seats.set(seat.player.userId, seat);
      this.drop(seat);
      return;
    }
    // What changed so far goes to the seats restored before; this one starts from its full state.
    this.flush();
    this.seats.set(seat.player.userId, seat);
    seat.seq += 1;
    connection.send('room:state', this.snapshotFor(seat));
  }

  /** The connection of a seat dropped: keep the seat for the grace period, then release it. */
  drop(seat: Seat): void {
    seat.connection = null;
    seat.player.connected = false;
    if (seat.graceTimer) clearTimeout(seat.graceTimer);
    seat.graceTimer = setTimeout(() => {
      seat.graceTimer = null;
      if (this.seats.get(seat.player.userId) === seat && !seat.connection) this.release(seat, false);
    }, this.type.limits.graceMs);
    seat.graceTimer.unref();
    try {
      this.run('onLeave', () => this.type.onLeave?.(this.handle, seat.player, { consented: false, final: false }));
    } catch (error) {
      this.events.error(this, 'onLeave', error);
    }
    this.events.seatsChanged(this);
  }

  /** Gives a kept seat a new connection. */
  reconnect(seat: Seat, connection: SeatConnection): void {
    this.flush();
    if (seat.graceTimer) clearTimeout(seat.graceTimer);
    seat.graceTimer = null;
    seat.connection = connection;
    seat.player.connected = true;
    this.events.seatsChanged(this);
  }

  /** The seat is gone: a consented leave, or the grace of a dropped one ran out. */
  release(seat: Seat, consented: boolean): void {
    if (this.seats.get(seat.player.userId) !== seat) return;
    if (seat.graceTimer) clearTimeout(seat.graceTimer);
    this.seats.delete(seat.player.userId);
    seat.connection = null;
    seat.player.connected = false;
    this.events.seatReleased(this, seat.player.userId);
    try {
      this.run('onLeave', () => this.type.onLeave?.(this.handle, seat.player, { consented, final: true }));
    } catch (error) {
      this.events.error(this, 'onLeave', error);
    }
    this.armEmptyTimer();
    this.events.seatsChanged(this);
  }

  private armEmptyTimer(): void {
    if (this.closed || this.seats.size > 0 || this.emptyTimer) return;
    this.emptyTimer = setTimeout(() => {
      this.emptyTimer = null;
      // Players on their way from matchmaking: wait for them (their reservations expire by themselves).
      if (this.reserved > 0) this.armEmptyTimer();
      else this.close('empty');
    }, this.type.limits.emptyTtlMs);
    this.emptyTimer.unref();
  }

  private clearEmptyTimer(): void {
    if (this.emptyTimer) clearTimeout(this.emptyTimer);
    this.emptyTimer = null;
  }

  /** Stops the room without a word to its seats or its logic: it runs on another node now. */
  abandon(): void {
    if (this.closed) return;
    this.closed = true;
    for (const timer of [this.tickTimer, this.patchTimer, this.lifetimeTimer]) if (timer) clearInterval(timer);
    this.clearEmptyTimer();
    for (const seat of this.seats.values()) if (seat.graceTimer) clearTimeout(seat.graceTimer);
    this.seats.clear();
  }

  close(reason: RoomClosed['reason']): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    for (const timer of [this.tickTimer, this.patchTimer, this.lifetimeTimer]) if (timer) clearInterval(timer);
    this.clearEmptyTimer();
    for (const seat of this.seats.values()) {
      if (seat.graceTimer) clearTimeout(seat.graceTimer);
      seat.connection?.send('room:closed', { roomId: this.id, reason });
    }
    try {
      this.type.onDispose?.(this.handle);
    } catch (error) {
      this.events.error(this, 'onDispose', error);
    }
    this.events.closed(this, reason);
    this.seats.clear();
  }
}
