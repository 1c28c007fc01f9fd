/**
 * A minimal Socket.IO 4 client: Engine.IO 4 over a bare `ws` WebSocket, the default
 * namespace, JSON events, acks. No reconnection, no polling, no buffering, no parsing of
 * events nobody asked for: a load generator holding 10,000 of these stays cheap, so the
 * server, not the client, is what a benchmark measures.
 *
 * Wire format (text frames): `0{...}` open, `2`/`3` ping/pong, `40{auth}` connect,
 * `40{sid}` connected, `44{message,data}` connect error, `42<ackId>["event",payload]`,
 * `43<ackId>[result]`, `41` disconnect.
 */
import WebSocket from 'ws';

export class ConnectError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ConnectError';
  }
}

export interface AckResult {
  ok: boolean;
  /** The error code of a refused command. */
  code?: string;
  message?: string;
  /** Only when asked for (`request(…, true)`). */
  data?: unknown;
}

export interface ClientSink {
  /** Every server event except `session:ready`, as the raw text frame (`42["name",…]`). */
  onEvent(client: EioClient, frame: Buffer): void;
  /** The connection closed after it was established; `byServer` is false after `close()`. */
  onClose(client: EioClient, byServer: boolean): void;
}

const CODE_0 = 0x30;
const CODE_1 = 0x31;
const CODE_2 = 0x32;
const CODE_3 = 0x33;
const CODE_4 = 0x34;
const ACK_OK = Buffer.from('[{"ok":true');
const SESSION_READY = Buffer.from('42["session:ready"');

/** True when `frame` begins with `prefix`, without copying either. */
export function startsWith(frame: Buffer, prefix: Buffer): boolean {
  return frame.length >= prefix.length && frame.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
}

/** Called with the ack frame, or with null when the connection closed first. */
type Pending = (frame: Buffer | null, offset: number) => void;

export class EioClient {
  private ws: WebSocket | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextAckId = 0;
  private closing = false;
  private ready = false;
  /** Free slot for the load generator's per-client state. */
  index = 0;

  constructor(private readonly sink: ClientSink) {}

  get open(): boolean {
    return this.ready && this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** Opens the WebSocket, sends `auth` with the namespace connect, resolves at `session:ready`. */
  connect(url: string, auth: Record<string, unknown>, timeoutMs: number): Promise<void> {
    const wsUrl = `${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (error: Error | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) {
          this.closing = true;
          ws.terminate();
          reject(error);
        } else {
          this.ready = true;
          resolve();
        }
      };
      const timer = setTimeout(() => settle(new ConnectError('TIMEOUT', `no session:ready within ${timeoutMs} ms`)), timeoutMs);
      const ws = new WebSocket(wsUrl, { perMessageDeflate: false, skipUTF8Validation: true });
      this.ws = ws;
      ws.on('error', (error) => settle(new ConnectError('TRANSPORT', error.message)));
      ws.on('close', () => {
        settle(new ConnectError('CLOSED', 'the connection closed during the handshake'));
        const wasReady = this.ready;
        this.ready = false;
        const orphans = [...this.pending.values()];
        this.pending.clear();
        for (const pending of orphans) pending(null, 0);
        if (wasReady) this.sink.onClose(this, !this.closing);
      });
      ws.on('message', (data: Buffer) => {
        const type = data[0];
        if (type === CODE_4) {
          const packet = data[1];
          if (packet === CODE_2) {
            if (!this.ready && startsWith(data, SESSION_READY)) settle(null);
            else this.sink.onEvent(this, data);
          } else if (packet === CODE_3) {
            this.onAck(data);
          } else if (packet === CODE_0) {
            // Namespace connected; Tavern and the raw server both follow with session:ready.
          } else if (packet === CODE_4) {
            let code = 'CONNECT_ERROR';
            let message = data.toString('utf8', 2);
            try {
              const parsed = JSON.parse(message) as { message?: string; data?: { code?: string; message?: string } };
              code = parsed.data?.code ?? parsed.message ?? code;
              message = parsed.data?.message ?? parsed.message ?? message;
            } catch {
              // keep the raw text
            }
            settle(new ConnectError(code, message));
          } else if (packet === CODE_1) {
            ws.close();
          }
        } else if (type === CODE_2) {
          ws.send('3');
        } else if (type === CODE_0) {
          ws.send(`40${JSON.stringify(auth)}`);
        } else if (type === CODE_1) {
          ws.close();
        }
      });
    });
  }

  /** A signal or an ack-less event. */
  emit(event: string, payload: unknown): void {
    this.ws?.send(`42${JSON.stringify([event, payload])}`);
  }

  /** Sends a pre-serialised `["event",payload]` array without an ack. */
  emitRaw(serializedArgs: string): void {
    this.ws?.send(`42${serializedArgs}`);
  }

  /** A command with an ack. `withData` parses the ack's data (setup only: it costs a JSON.parse). */
  request(event: string, payload: unknown, withData = false, timeoutMs = 0): Promise<AckResult> {
    return this.requestRaw(JSON.stringify([event, payload]), withData, timeoutMs);
  }

  requestRaw(serializedArgs: string, withData = false, timeoutMs = 0): Promise<AckResult> {
    const ws = this.ws;
    if (!ws || !this.open) return Promise.resolve({ ok: false, code: 'DISCONNECTED', message: 'not connected' });
    const id = this.nextAckId++;
    return new Promise<AckResult>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      if (timeoutMs > 0) {
        timer = setTimeout(() => {
          this.pending.delete(id);
          resolve({ ok: false, code: 'TIMEOUT', message: `no ack within ${timeoutMs} ms` });
        }, timeoutMs);
      }
      this.pending.set(id, (frame, offset) => {
        if (timer) clearTimeout(timer);
        if (frame === null) {
          resolve({ ok: false, code: 'DISCONNECTED', message: 'the connection closed before the ack' });
          return;
        }
        if (!withData && frame.compare(ACK_OK, 0, ACK_OK.length, offset, offset + ACK_OK.length) === 0) {
          resolve({ ok: true });
          return;
        }
        try {
          const [result] = JSON.parse(frame.toString('utf8', offset)) as [
            { ok: boolean; data?: unknown; error?: { code: string; message: string } },
          ];
          resolve(result.ok ? { ok: true, data: result.data } : { ok: false, code: result.error?.code ?? 'UNKNOWN', message: result.error?.message ?? '' });
        } catch {
          resolve({ ok: false, code: 'BAD_ACK', message: frame.toString('utf8', 0, 200) });
        }
      });
      ws.send(`42${id}${serializedArgs}`);
    });
  }

  close(): void {
    this.closing = true;
    this.ws?.close();
  }

  /** Drops the TCP connection without a close handshake. */
  terminate(): void {
    this.closing = true;
    this.ws?.terminate();
  }

  private onAck(frame: Buffer): void {
    let id = 0;
    let offset = 2;
    for (; offset < frame.length; offset++) {
      const digit = (frame[offset] ?? 0) - CODE_0;
      if (digit < 0 || digit > 9) break;
      id = id * 10 + digit;
    }
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    pending(frame, offset);
  }
}
