/**
 * Keeps the cluster-wide socket registry true: registers and unregisters this node's
 * sockets, heart-beats the node, reaps nodes that died (their users' sockets are handed to
 * `onReaped` listeners, i.e. presence), and re-publishes everything after a Redis outage.
 */
import { rooms } from '@tavern/protocol';
import type { Config } from '../config.js';
import type { Logger } from '../platform/logger.js';
import type { Metrics } from '../platform/metrics.js';
import type { RedisConnections } from '../platform/redis.js';
import { AppError } from '../platform/app-error.js';
import type { TavernServer, TavernSocket } from '../transport/socket-types.js';
import type { ConnectionStore, HeldSession, SocketEntry } from './connection.store.js';

/**
 * A live session is held for its token's lifetime, at most this long, plus the resume window:
 * a connection older than a day whose node dies is not resumed (its client resyncs anyway).
 */
const MAX_SESSION_HOLD_MS = 24 * 60 * 60 * 1000;

export class ConnectionRegistry {
  private timer: NodeJS.Timeout | null = null;
  private healthySince = 0;
  private readonly reapListeners: ((entries: SocketEntry[]) => void | Promise<void>)[] = [];

  constructor(
    readonly store: ConnectionStore,
    private readonly io: TavernServer,
    private readonly config: Config,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
    private readonly redis: RedisConnections | null,
  ) {
    redis?.onRecover(() => this.restore());
  }

  get nodeId(): string {
    return this.config.nodeId;
  }

  async start(): Promise<void> {
    await this.tick();
    this.timer = setInterval(() => void this.tick(), this.config.cluster.heartbeatMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.store.removeNode(this.nodeId).catch((error: unknown) => {
      this.logger.warn({ err: error }, 'could not remove this node from the registry');
    });
  }

  /**
   * Which of `nodeIds` stopped heart-beating (their key expired, or a reap removed them). Empty
   * while this node's own view may be stale: without Redis, or right after an outage, when every
   * node's heartbeat may have lapsed (the same guard the reaper keeps). For state a dead node
   * owned without sockets, which `onReaped` never reports (the game rooms it ran).
   */
  async deadNodes(nodeIds: readonly string[]): Promise<string[]> {
    const others = nodeIds.filter((nodeId) => nodeId !== this.nodeId);
    if (!this.redis || others.length === 0 || this.healthySince === 0 || Date.now() - this.healthySince < this.config.cluster.nodeTtlMs) return [];
    const live = new Set(await this.store.liveNodes());
    return others.filter((nodeId) => !live.has(nodeId));
  }

  /** Called with the sockets of nodes that died without saying goodbye. */
  onReaped(listener: (entries: SocketEntry[]) => void | Promise<void>): void {
    this.reapListeners.push(listener);
  }

  /**
   * Registers a socket if its user is under the per-user cap. While the store is
   * unavailable the cap is checked against this node's sockets only.
   */
  async register(socket: TavernSocket): Promise<boolean> {
    const entry = this.entryOf(socket);
    const max = this.config.limits.maxSocketsPerUser;
    let added: boolean;
    try {
      added = await this.store.add(entry, max);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      const local = this.io.of('/').adapter.rooms.get(rooms.user(entry.userId))?.size ?? 0;
      this.logger.warn({ userId: entry.userId }, 'connection registry unavailable: applying the socket cap per node');
      added = local < max;
    }
    socket.data.registered = added;
    return added;
  }

  /** Removes a socket from the registry; safe to call more than once. */
  async unregister(socket: TavernSocket): Promise<void> {
    if (!socket.data.registered) return;
    socket.data.registered = false;
    await this.store.remove(this.entryOf(socket)).catch(() => {
      // Redis is down: the entry is dropped when this node restores its sockets.
    });
  }

  /**
   * Keeps a live socket's session resumable for as long as its token is valid, plus the resume
   * window: if this node dies without a disconnect (SIGKILL), its client resumes on another
   * node with `recovered: true`. Called at connect and after `auth:refresh`; one write in the
   * background, never on the handshake's path.
   */
  holdSession(socket: TavernSocket): void {
    this.store.holdSessions([this.heldSession(socket)]).catch(() => {
      // Redis is down: the session is held again when this node restores its sockets.
    });
  }

  /** A socket that closed: its session may be resumed within the resume window. */
  releaseSession(socket: TavernSocket): void {
    const { sessionId, user } = socket.data;
    this.store.saveSession(sessionId, user.userId, this.config.auth.sessionResumeMs).catch(() => {
      // Without storage the session simply cannot be resumed.
    });
  }

  userSockets(userId: string): Promise<SocketEntry[]> {
    return this.store.userSockets(userId);
  }

  /** Which of these users are connected on some live node, in one store round trip. */
  onlineUsers(userIds: readonly string[]): Promise<Set<string>> {
    return this.store.onlineUsers(userIds);
  }

  /** Re-publishes this node's heartbeat and sockets (Redis may have come back empty). */
  async restore(): Promise<void> {
    this.healthySince = Date.now();
    await this.store.heartbeat(this.nodeId, this.config.cluster.nodeTtlMs);
    const sockets = [...this.io.of('/').sockets.values()];
    const entries = sockets.map((socket) => this.entryOf(socket));
    await this.store.restore(this.nodeId, entries);
    await this.store.holdSessions(sockets.map((socket) => this.heldSession(socket)));
    this.logger.info({ sockets: entries.length }, 'connection registry restored');
  }

  private async tick(): Promise<void> {
    try {
      await this.store.heartbeat(this.nodeId, this.config.cluster.nodeTtlMs);
      if (this.healthySince === 0) this.healthySince = Date.now();
      // Right after an outage every node's heartbeat may have lapsed; give them time to renew.
      if (this.redis && Date.now() - this.healthySince < this.config.cluster.nodeTtlMs) return;
      const reaped = await this.store.reapDeadNodes();
      if (reaped.length === 0) return;
      this.logger.warn({ sockets: reaped.length, nodes: [...new Set(reaped.map((entry) => entry.nodeId))] }, 'reaped sockets of dead nodes');
      for (const listener of this.reapListeners) await listener(reaped);
    } catch (error) {
      if (!(error instanceof AppError)) {
        this.metrics.internalErrors.labels('registry').inc();
        this.logger.error({ err: error }, 'registry heartbeat failed');
      }
      this.healthySince = 0;
    }
  }

  private heldSession(socket: TavernSocket): HeldSession {
    const { sessionId, user, expiresAt } = socket.data;
    const ttlMs = Math.min(Math.max(expiresAt - Date.now(), 0), MAX_SESSION_HOLD_MS) + this.config.auth.sessionResumeMs;
    return { sessionId, userId: user.userId, ttlMs };
  }

  private entryOf(socket: TavernSocket): SocketEntry {
    return { userId: socket.data.user.userId, socketId: socket.id, nodeId: this.nodeId };
  }
}
