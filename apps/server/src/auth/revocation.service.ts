/**
 * Applies revocations: refuses revoked tokens at handshake and refresh, and ends live
 * sockets that use them on every node (at once through the adapter, and by a periodic
 * sweep that also covers nodes which missed the message). While the store is unavailable,
 * checks fall back to the entries this node knows. Those are kept until they expire (a
 * revocation is never lifted earlier), so `restore` can write them back if Redis loses them.
 */
import { ErrorCode } from '@tavern/protocol';
import type { Logger } from '../platform/logger.js';
import { AppError } from '../platform/app-error.js';
import type { AuthUser, TavernServer, TavernSocket } from '../transport/socket-types.js';
import { latestRevocations, revokes, type Revocation, type RevocationStore } from './revocation.store.js';

export class RevocationService {
  private cached: Revocation[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: RevocationStore,
    private readonly io: TavernServer,
    private readonly clustered: boolean,
    private readonly endSession: (socket: TavernSocket, reason: ErrorCode, message: string) => void,
    private readonly logger: Logger,
    private readonly sweepMs = 10_000,
  ) {}

  start(): void {
    this.io.on('tavern:revoked', (revocation) => this.endLocal({ ...revocation, until: Number.MAX_SAFE_INTEGER }));
    this.timer = setInterval(() => void this.sweep(), this.sweepMs);
    this.timer.unref();
    void this.sweep();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Revokes and ends the matching sockets on every node. */
  async revoke(revocation: Revocation): Promise<void> {
    await this.store.revoke(revocation);
    this.cached.push(revocation);
    this.endLocal(revocation);
    if (this.clustered) {
      const { jti, userId, revokedAt } = revocation;
      this.io.serverSideEmit('tavern:revoked', { ...(jti !== undefined && { jti }), ...(userId !== undefined && { userId }), revokedAt });
    }
  }

  /**
   * Writes back the revocations in force that this node knows, where the store lacks them or
   * holds an earlier one (Redis lost its data). A no-op when the store kept everything.
   */
  async restore(): Promise<void> {
    const known = latestRevocations(this.cached, Date.now());
    if (known.length === 0) return;
    await this.store.restore(known);
    this.logger.info({ revocations: known.length }, 'revocations restored');
  }

  /** Throws `TOKEN_REVOKED` when the token of `user` is revoked. */
  async assertNotRevoked(user: AuthUser): Promise<void> {
    const now = Date.now();
    let entries: Revocation[];
    try {
      entries = await this.store.find(user.jti, user.userId);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      entries = this.cached;
    }
    if (entries.some((entry) => revokes(entry, user, now))) {
      throw new AppError(ErrorCode.TOKEN_REVOKED, 'token revoked');
    }
  }

  private async sweep(): Promise<void> {
    try {
      const now = Date.now();
      this.cached = latestRevocations([...(await this.store.list(now)), ...this.cached], now);
    } catch (error) {
      if (!(error instanceof AppError)) this.logger.error({ err: error }, 'revocation sweep failed');
      return;
    }
    for (const revocation of this.cached) this.endLocal(revocation);
  }

  private endLocal(revocation: Revocation): void {
    const now = Date.now();
    for (const socket of this.io.of('/').sockets.values()) {
      if (revokes(revocation, socket.data.user, now)) {
        this.logger.info({ socketId: socket.id, userId: socket.data.user.userId }, 'ending socket of a revoked token');
        this.endSession(socket, ErrorCode.TOKEN_REVOKED, 'token revoked');
      }
    }
  }
}
