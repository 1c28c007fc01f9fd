/**
 * Joining and leaving rooms through one access check per room kind. Features register the
 * policy of the kinds they own (zone, party, lobby, ...); a kind without a policy is closed.
 *
 * The rooms-per-socket cap is enforced where every join ends: the namespace adapter's
 * `addAll`, which `socket.join`, `io.in(..).socketsJoin` (on every node) and the adapter's
 * own remote joins all call. A socket at its cap is never added to another room; such a
 * join is dropped and counted (`tavern_cap_refusals_total{cap="rooms_per_socket"}`).
 * Commands check first (`join`, `assertCanJoin`) so the sender gets `LIMIT_EXCEEDED`
 * and nothing changes. A kind can have a cap of its own instead (`capSeparately`:
 * presence watches, `presence:*`, count against `maxWatched`, not against the 128).
 *
 * @example
 * rooms.setPolicy('party', (user, room) => parties.isMember(room.id, user.userId));
 * await rooms.join(socket, 'party:p1'); // FORBIDDEN unless a member
 */
import { ErrorCode, parseRoom, rooms, type ParsedRoom, type RoomKind } from '@tavern/protocol';
import type { Config } from '../config.js';
import type { Metrics } from '../platform/metrics.js';
import { AppError } from '../platform/app-error.js';
import type { AuthUser, TavernServer, TavernSocket } from '../transport/socket-types.js';

export type AccessPolicy = (user: AuthUser, room: ParsedRoom) => boolean | Promise<boolean>;

export class RoomService {
  private readonly policies = new Map<RoomKind, AccessPolicy>();
  /** Kinds whose rooms count against a cap of their own, not the rooms-per-socket cap. */
  private readonly separateCaps = new Map<RoomKind, number>();

  constructor(
    private readonly io: TavernServer,
    private readonly config: Config,
    private readonly metrics: Metrics,
    /**
     * Resolves when broadcasts from other nodes to the room reach this node (cluster only);
     * `created`: the join made the room on this node.
     */
    private readonly subscribed: (room: string, created: boolean) => Promise<void> = async () => undefined,
  ) {
    this.setPolicy('user', (user, room) => room.id === user.userId);
    this.setPolicy('global', () => true);
    this.setPolicy('guild', (user, room) => user.guilds.includes(room.id));
    this.guardAdapter();
  }

  /** Rooms of `kind` count against `max` per socket instead of `maxRoomsPerSocket`. */
  capSeparately(kind: RoomKind, max: number): void {
    this.separateCaps.set(kind, max);
  }

  /** The cap `roomName` counts against, and its label. */
  private capOf(roomName: string): { kind: RoomKind | null; max: number } {
    const kind = parseRoom(roomName)?.kind ?? null;
    const separate = kind === null ? undefined : this.separateCaps.get(kind);
    return separate === undefined ? { kind: null, max: this.config.limits.maxRoomsPerSocket } : { kind, max: separate };
  }

  /** How many rooms of `socketRooms` count against the same cap as `kind` (null: the shared one). */
  private countIn(socketId: string, socketRooms: Iterable<string>, kind: RoomKind | null): number {
    let count = 0;
    // The socket's own id room never counts.
    for (const room of socketRooms) if (room !== socketId && this.capOf(room).kind === kind) count++;
    return count;
  }

  /** Wraps the adapter's `addAll` so that no path can put a socket over its cap. */
  private guardAdapter(): void {
    const adapter = this.io.of('/').adapter;
    const addAll = adapter.addAll.bind(adapter);
    adapter.addAll = (socketId, joining) => {
      const current = adapter.sids.get(socketId);
      const counts = new Map<RoomKind | null, number>();
      const allowed = new Set<string>();
      let refused = 0;
      for (const room of joining) {
        if (room === socketId || current?.has(room)) {
          allowed.add(room);
          continue;
        }
        const { kind, max } = this.capOf(room);
        const count = counts.get(kind) ?? this.countIn(socketId, current ?? [], kind);
        if (count >= max) {
          refused++;
          continue;
        }
        counts.set(kind, count + 1);
        allowed.add(room);
      }
      if (refused > 0) this.metrics.capRefusals.labels('rooms_per_socket').inc(refused);
      return addAll(socketId, allowed);
    };
  }

  setPolicy(kind: RoomKind, policy: AccessPolicy): void {
    this.policies.set(kind, policy);
  }

  /** Parses a room name, or throws `INVALID_PAYLOAD`. */
  parse(roomName: string): ParsedRoom {
    const parsed = parseRoom(roomName);
    if (!parsed) throw new AppError(ErrorCode.INVALID_PAYLOAD, `not a room: ${roomName.slice(0, 80)}`);
    return parsed;
  }

  async canAccess(user: AuthUser, roomName: string): Promise<boolean> {
    const parsed = parseRoom(roomName);
    if (!parsed) return false;
    const policy = this.policies.get(parsed.kind);
    return policy ? await policy(user, parsed) : false;
  }

  /** Throws `FORBIDDEN` unless `user` may be in `roomName`. */
  async assertAccess(user: AuthUser, roomName: string): Promise<ParsedRoom> {
    const parsed = this.parse(roomName);
    await this.assertAllowed(user, parsed);
    return parsed;
  }

  /**
   * The policy check of `assertAccess` for a room already parsed. A policy that answers
   * synchronously is not awaited: this runs on every chat message.
   */
  async assertAllowed(user: AuthUser, parsed: ParsedRoom): Promise<void> {
    const policy = this.policies.get(parsed.kind);
    const allowed = policy ? policy(user, parsed) : false;
    if (allowed === true || (allowed !== false && (await allowed))) return;
    throw new AppError(ErrorCode.FORBIDDEN, `no access to ${parsed.kind}:${parsed.id}`);
  }

  /** Joins after the access check and the per-socket room cap. */
  async join(socket: TavernSocket, roomName: string): Promise<ParsedRoom> {
    const parsed = await this.assertAccess(socket.data.user, roomName);
    if (socket.rooms.has(roomName)) return parsed;
    this.assertCanJoin(socket, roomName);
    const created = !this.io.of('/').adapter.rooms.has(roomName);
    await socket.join(roomName);
    // Only then is the join acknowledged: nothing sent to the room afterwards is missed.
    await this.subscribed(roomName, created);
    return parsed;
  }

  /**
   * Throws `LIMIT_EXCEEDED` unless `socket` may join all of `roomNames` (rooms it is in
   * already are free): what a command checks before it changes anything, so that the
   * adapter guard never has to drop the join it then makes.
   */
  assertCanJoin(socket: TavernSocket, ...roomNames: string[]): void {
    const counts = new Map<RoomKind | null, number>();
    for (const room of new Set(roomNames)) {
      if (socket.rooms.has(room)) continue;
      const { kind, max } = this.capOf(room);
      const count = counts.get(kind) ?? this.countIn(socket.id, socket.rooms, kind);
      if (count >= max) {
        this.metrics.capRefusals.labels('rooms_per_socket').inc();
        throw new AppError(ErrorCode.LIMIT_EXCEEDED, kind === null ? `at most ${max} rooms per connection` : `at most ${max} ${kind} rooms per connection`);
      }
      counts.set(kind, count + 1);
    }
  }

  async leave(socket: TavernSocket, roomName: string): Promise<void> {
    await socket.leave(roomName);
  }

  /** Puts every socket of a user, on every node, into a room (server-driven: no checks). */
  joinUser(userId: string, roomName: string): void {
    this.io.in(rooms.user(userId)).socketsJoin(roomName);
  }

  leaveUser(userId: string, roomName: string): void {
    this.io.in(rooms.user(userId)).socketsLeave(roomName);
  }

  /** Empties a room on every node. */
  closeRoom(roomName: string): void {
    this.io.in(roomName).socketsLeave(roomName);
  }
}
