/**
 * What server code uses to reach clients, typed against the server-event map and correct
 * across nodes (broadcasts go through the cluster adapter). Outside production every
 * payload is checked against its schema, so a feature cannot drift from the protocol.
 *
 * @example
 * realtime.emitToUser('alice', 'notification:count', { unread: 3 });
 * realtime.emitToZone('dark-forest', 'zone:snapshot', snapshot, { volatile: true });
 */
import type { ErrorCode} from '@tavern/protocol';
import { rooms, serverEventSchemas, type ServerEventName, type ServerPayload } from '@tavern/protocol';
import type { Config } from '../config.js';
import type { ConnectionRegistry } from '../connections/connection-registry.js';
import type { SocketEntry } from '../connections/connection.store.js';
import type { Logger } from '../platform/logger.js';
import { AppError } from '../transport/app-error.js';
import type { TavernServer } from '../transport/socket-types.js';

export interface EmitOptions {
  /** May be dropped when the client cannot keep up (positions, typing). */
  volatile?: boolean;
  /** Socket ids or rooms that should not receive it. */
  except?: string | string[];
}

type Emitter = { emit(event: string, data: unknown): boolean };

export class RealtimeService {
  constructor(
    private readonly io: TavernServer,
    private readonly registry: ConnectionRegistry,
    private readonly config: Config,
    private readonly logger: Logger,
  ) {}

  /** Checks a payload against its schema when `validateOutgoing` is on; throws on a mismatch. */
  check<E extends ServerEventName>(event: E, data: ServerPayload<E>): void {
    if (!this.config.validateOutgoing) return;
    const result = serverEventSchemas[event].safeParse(data);
    if (!result.success) {
      throw new Error(`server event ${event} does not match its schema: ${result.error.message}`);
    }
  }

  emitToRoom<E extends ServerEventName>(room: string | string[], event: E, data: ServerPayload<E>, options: EmitOptions = {}): void {
    this.check(event, data);
    let target = this.io.to(room);
    if (options.except !== undefined) target = target.except(options.except);
    if (options.volatile) target = target.volatile;
    (target as unknown as Emitter).emit(event, data);
  }

  emitToUser<E extends ServerEventName>(userId: string, event: E, data: ServerPayload<E>, options?: EmitOptions): void {
    this.emitToRoom(rooms.user(userId), event, data, options);
  }

  emitToZone<E extends ServerEventName>(zoneId: string, event: E, data: ServerPayload<E>, options?: EmitOptions): void {
    this.emitToRoom(rooms.zone(zoneId), event, data, options);
  }

  emitToCombat<E extends ServerEventName>(sessionId: string, event: E, data: ServerPayload<E>, options?: EmitOptions): void {
    this.emitToRoom(rooms.combat(sessionId), event, data, options);
  }

  emitToGuild<E extends ServerEventName>(guildId: string, event: E, data: ServerPayload<E>, options?: EmitOptions): void {
    this.emitToRoom(rooms.guild(guildId), event, data, options);
  }

  emitToParty<E extends ServerEventName>(partyId: string, event: E, data: ServerPayload<E>, options?: EmitOptions): void {
    this.emitToRoom(rooms.party(partyId), event, data, options);
  }

  emitToLobby<E extends ServerEventName>(lobbyId: string, event: E, data: ServerPayload<E>, options?: EmitOptions): void {
    this.emitToRoom(rooms.lobby(lobbyId), event, data, options);
  }

  emitToPoker<E extends ServerEventName>(sessionId: string, event: E, data: ServerPayload<E>, options?: EmitOptions): void {
    this.emitToRoom(rooms.poker(sessionId), event, data, options);
  }

  /** Every socket on every node. */
  broadcastToAll<E extends ServerEventName>(event: E, data: ServerPayload<E>, options: EmitOptions = {}): void {
    this.check(event, data);
    let target = options.volatile ? this.io.volatile : this.io;
    if (options.except !== undefined) target = target.except(options.except);
    (target as unknown as Emitter).emit(event, data);
  }

  /** The user's sockets on every live node. */
  getUserSockets(userId: string): Promise<SocketEntry[]> {
    return this.registry.userSockets(userId);
  }

  /** Whether any socket of the user is connected on any node. */
  async isUserOnline(userId: string): Promise<boolean> {
    if (this.io.of('/').adapter.rooms.has(rooms.user(userId))) return true;
    try {
      return (await this.registry.userSockets(userId)).length > 0;
    } catch (error) {
      if (error instanceof AppError) return false;
      throw error;
    }
  }

  /** Distinct users in a zone, across nodes. */
  async getZonePopulation(zoneId: string): Promise<number> {
    const sockets = await this.io.in(rooms.zone(zoneId)).fetchSockets();
    return new Set(sockets.map((socket) => socket.data.user.userId)).size;
  }

  /** Ends every session of a user on every node, telling the client why first. */
  disconnectUser(userId: string, message: string, reason: 'KICKED' | ErrorCode = 'KICKED'): void {
    const room = rooms.user(userId);
    this.emitToRoom(room, 'session:ended', { reason, message });
    this.io.in(room).disconnectSockets(true);
    this.logger.info({ userId, reason }, 'user disconnected by the server');
  }
}
