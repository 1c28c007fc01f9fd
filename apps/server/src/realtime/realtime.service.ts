/**
 * What server code uses to reach clients, correct across nodes (broadcasts go through the
 * cluster adapter). Features get typed wrappers of `emit` and `broadcast` bound to their
 * slices (`FeatureContext.emitTo`); outside production every payload is checked against its
 * schema in the running contract, so a feature cannot drift from the protocol.
 *
 * @example
 * context.emitTo(rooms.user('alice'), 'notification:count', { unread: 3 });
 * context.emitTo(rooms.zone('dark-forest'), 'zone:snapshot', snapshot, { volatile: true });
 */
import { rooms, type Contract, type ErrorCode } from '@tavern/protocol';
import type { Config } from '../config.js';
import type { ConnectionRegistry } from '../connections/connection-registry.js';
import type { SocketEntry } from '../connections/connection.store.js';
import type { Logger } from '../platform/logger.js';
import { AppError } from '../platform/app-error.js';
import type { TavernServer } from '../transport/socket-types.js';

export interface EmitOptions {
  /** May be dropped when the client cannot keep up (positions, typing). */
  volatile?: boolean;
  /** Socket ids or rooms that should not receive it. */
  except?: string | readonly string[];
}

type Emitter = { emit(event: string, data: unknown): boolean };

export class RealtimeService {
  constructor(
    private readonly io: TavernServer,
    private readonly registry: ConnectionRegistry,
    private readonly config: Config,
    private readonly contract: Contract,
    private readonly logger: Logger,
  ) {}

  /** Checks a payload against its schema when `validateOutgoing` is on; throws on a mismatch or an event outside the contract. */
  check(event: string, data: unknown): void {
    if (!this.config.validateOutgoing) return;
    const definition = Object.hasOwn(this.contract.serverEvents, event) ? this.contract.serverEvents[event] : undefined;
    if (!definition) throw new Error(`server event ${event} is not in the running contract`);
    const result = definition.payload.safeParse(data);
    if (!result.success) {
      throw new Error(`server event ${event} does not match its schema: ${result.error.message}`);
    }
  }

  /** Sends to one room or several. Use the typed `FeatureContext.emitTo` in features. */
  emit(room: string | readonly string[], event: string, data: unknown, options: EmitOptions = {}): void {
    this.check(event, data);
    let target = this.io.to(room as string | string[]);
    if (options.except !== undefined) target = target.except(options.except as string | string[]);
    if (options.volatile) target = target.volatile;
    (target as unknown as Emitter).emit(event, data);
  }

  /** Every socket on every node. */
  broadcast(event: string, data: unknown, options: EmitOptions = {}): void {
    this.check(event, data);
    let target = options.volatile ? this.io.volatile : this.io;
    if (options.except !== undefined) target = target.except(options.except as string | string[]);
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

  /**
   * Which of these users have a socket on some node: those with one here without asking,
   * the others in one registry round trip. Unknown (registry unavailable) counts as offline.
   */
  async onlineUsers(userIds: readonly string[]): Promise<Set<string>> {
    const local = this.io.of('/').adapter.rooms;
    const online = new Set<string>();
    const elsewhere: string[] = [];
    for (const userId of userIds) {
      if (online.has(userId)) continue;
      if (local.has(rooms.user(userId))) online.add(userId);
      else elsewhere.push(userId);
    }
    if (elsewhere.length === 0) return online;
    try {
      for (const userId of await this.registry.onlineUsers(elsewhere)) online.add(userId);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
    }
    return online;
  }

  /** Ends every session of a user on every node, telling the client why first. */
  disconnectUser(userId: string, message: string, reason: 'KICKED' | ErrorCode = 'KICKED'): void {
    const room = rooms.user(userId);
    this.emit(room, 'session:ended', { reason, message });
    this.io.in(room).disconnectSockets(true);
    this.logger.info({ userId, reason }, 'user disconnected by the server');
  }
}
