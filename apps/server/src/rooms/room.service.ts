/**
 * Joining and leaving rooms through one access check per room kind. Features register the
 * policy of the kinds they own (zone, party, lobby, ...); a kind without a policy is closed.
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

  constructor(
    private readonly io: TavernServer,
    private readonly config: Config,
    private readonly metrics: Metrics,
    /** Resolves when broadcasts from other nodes to the room reach this node (cluster only). */
    private readonly subscribed: (room: string) => Promise<void> = async () => undefined,
  ) {
    this.setPolicy('user', (user, room) => room.id === user.userId);
    this.setPolicy('global', () => true);
    this.setPolicy('guild', (user, room) => user.guilds.includes(room.id));
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
    this.assertRoomCap(socket);
    await socket.join(roomName);
    // Only then is the join acknowledged: nothing sent to the room afterwards is missed.
    await this.subscribed(roomName);
    return parsed;
  }

  /** Throws `LIMIT_EXCEEDED` when the socket is in as many rooms as it may be. */
  assertRoomCap(socket: TavernSocket): void {
    // socket.rooms includes the socket's own id room, which does not count.
    if (socket.rooms.size - 1 >= this.config.limits.maxRoomsPerSocket) {
      this.metrics.capRefusals.labels('rooms_per_socket').inc();
      throw new AppError(ErrorCode.LIMIT_EXCEEDED, `at most ${this.config.limits.maxRoomsPerSocket} rooms per connection`);
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
