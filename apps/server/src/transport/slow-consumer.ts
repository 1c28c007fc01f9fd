/**
 * Cuts off sockets that stop reading. A sweep looks at every local socket's unsent data
 * (Engine.IO's write buffer plus what the WebSocket still holds); a socket with any backlog
 * gets a listener that counts each further packet, so it is cut off the moment its queue
 * passes the limit rather than at the next sweep. Volatile events (snapshots, typing) are
 * already dropped by Socket.IO while a transport is not writable.
 */
import type { Logger } from '../platform/logger.js';
import type { Metrics } from '../platform/metrics.js';
import type { TavernServer, TavernSocket } from './socket-types.js';

interface EnginePacket {
  data?: string | Buffer | ArrayBuffer;
  options?: { wsPreEncodedFrame?: Buffer[] };
}

interface EngineConn {
  writeBuffer: EnginePacket[];
  readyState: string;
  transport: { name: string; writable: boolean; socket?: { bufferedAmount?: number; terminate?: () => void } };
  on(event: 'packetCreate', listener: (packet: EnginePacket) => void): void;
  off(event: 'packetCreate', listener: (packet: EnginePacket) => void): void;
  close(discard?: boolean): void;
}

function packetBytes(packet: EnginePacket): number {
  const frame = packet.options?.wsPreEncodedFrame;
  if (frame) {
    let total = 0;
    for (const part of frame) total += part.length;
    return total;
  }
  const data = packet.data;
  if (data === undefined) return 1;
  return typeof data === 'string' ? data.length : data.byteLength;
}

/** Bytes this node holds for a socket and has not yet handed to the kernel. */
export function queuedBytes(socket: TavernSocket): number {
  const conn = socket.conn as unknown as EngineConn;
  let total = conn.transport.socket?.bufferedAmount ?? 0;
  for (const packet of conn.writeBuffer) total += packetBytes(packet);
  return total;
}

export class SlowConsumerGuard {
  private timer: NodeJS.Timeout | null = null;
  private readonly watched = new Map<TavernSocket, (packet: EnginePacket) => void>();

  constructor(
    private readonly io: TavernServer,
    private readonly options: { maxBytes: number; checkMs: number },
    private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.sweep(), this.options.checkMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const socket of [...this.watched.keys()]) this.unwatch(socket);
  }

  sweep(): void {
    for (const socket of this.io.of('/').sockets.values()) {
      const conn = socket.conn as unknown as EngineConn;
      const idle = conn.writeBuffer.length === 0 && conn.transport.writable;
      if (idle) {
        if (this.watched.has(socket)) this.unwatch(socket);
        continue;
      }
      const queued = queuedBytes(socket);
      if (queued > this.options.maxBytes) {
        this.cutOff(socket, queued);
      } else if (!this.watched.has(socket)) {
        this.watch(socket, queued);
      }
    }
  }

  private watch(socket: TavernSocket, queued: number): void {
    let total = queued;
    const onPacket = (packet: EnginePacket) => {
      total += packetBytes(packet);
      if (total > this.options.maxBytes) {
        // Re-measure: some of the counted data may have drained since the sweep.
        total = queuedBytes(socket) + packetBytes(packet);
        if (total > this.options.maxBytes) this.cutOff(socket, total);
      }
    };
    this.watched.set(socket, onPacket);
    (socket.conn as unknown as EngineConn).on('packetCreate', onPacket);
    socket.once('disconnect', () => this.unwatch(socket));
  }

  private unwatch(socket: TavernSocket): void {
    const listener = this.watched.get(socket);
    if (!listener) return;
    this.watched.delete(socket);
    (socket.conn as unknown as EngineConn).off('packetCreate', listener);
  }

  private cutOff(socket: TavernSocket, queued: number): void {
    const conn = socket.conn as unknown as EngineConn;
    if (conn.readyState === 'closed') return;
    this.unwatch(socket);
    this.metrics.slowConsumerDisconnects.inc();
    this.logger.warn({ socketId: socket.id, userId: socket.data.user.userId, queuedBytes: queued }, 'slow consumer disconnected');
    // Drop what is queued instead of waiting for a reader that is not reading. This may run
    // inside Engine.IO's packetCreate, so the close itself waits for the next turn.
    conn.transport.socket?.terminate?.();
    setImmediate(() => conn.close(true));
  }
}
