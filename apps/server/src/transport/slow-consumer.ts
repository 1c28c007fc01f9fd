/**
 * Cuts off sockets that stop reading. Each connection gets one `packetCreate` listener: while
 * its transport is writable, nothing is held back and the listener returns at once; while it
 * is not (the client is not reading and the kernel buffers are full), the listener counts the
 * bytes queued since the last flush, adds what the WebSocket still holds, and cuts the
 * connection the moment that passes the limit. So the server never holds more than the limit
 * plus one packet for a reader that is not reading. Volatile events (snapshots, typing) are
 * already dropped by Socket.IO while a transport is not writable.
 */
import type { Logger } from '../platform/logger.js';
import type { Metrics } from '../platform/metrics.js';
import type { TavernSocket } from './socket-types.js';

interface EnginePacket {
  data?: string | Buffer | ArrayBuffer;
  options?: { wsPreEncodedFrame?: Buffer[] };
}

interface EngineConn {
  writeBuffer: EnginePacket[];
  readyState: string;
  transport: { name: string; writable: boolean; socket?: { bufferedAmount?: number; terminate?: () => void } };
  on(event: 'packetCreate', listener: (packet: EnginePacket) => void): void;
  on(event: 'flush', listener: () => void): void;
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
  constructor(
    private readonly options: { maxBytes: number },
    private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {}

  /** Watches one connection for as long as it lives. */
  attach(socket: TavernSocket): void {
    const conn = socket.conn as unknown as EngineConn;
    const { maxBytes } = this.options;
    // Bytes in Engine.IO's write buffer, i.e. created since the transport last took a batch.
    let held = 0;
    let cut = false;
    conn.on('flush', () => {
      held = 0;
    });
    conn.on('packetCreate', (packet) => {
      if (cut || (held === 0 && conn.transport.writable)) return;
      held += packetBytes(packet);
      const queued = held + (conn.transport.socket?.bufferedAmount ?? 0);
      if (queued > maxBytes) {
        cut = true;
        this.cutOff(socket, queued);
      }
    });
  }

  private cutOff(socket: TavernSocket, queued: number): void {
    const conn = socket.conn as unknown as EngineConn;
    if (conn.readyState === 'closed') return;
    this.metrics.slowConsumerDisconnects.inc();
    this.logger.warn({ socketId: socket.id, userId: socket.data.user.userId, queuedBytes: queued }, 'slow consumer disconnected');
    // Drop what is queued instead of waiting for a reader that is not reading. This runs
    // inside Engine.IO's packetCreate, so the close itself waits for the next turn.
    conn.transport.socket?.terminate?.();
    setImmediate(() => conn.close(true));
  }
}
