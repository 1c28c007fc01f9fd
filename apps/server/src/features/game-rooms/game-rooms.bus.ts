/**
 * Over Redis, how nodes talk about game rooms: each node subscribes to its own inbox (a sharded
 * Pub/Sub channel, so on a Redis Cluster it lives on one shard). A node forwards its players'
 * room commands to the room's node (`call`) and gets the answer in its inbox; the room's node
 * sends each remote seat's frames (patches, full states, `room:left`, `room:closed`) to the inbox
 * of the node the seat's socket is on, batched per node and sent in order on one connection.
 * A publish that no node receives (the room's node is gone) fails at once with `UNAVAILABLE`.
 */
import { ErrorCode } from '@tavern/protocol';
import { z } from 'zod';
import { AppError, randomId, type Logger, type RedisConnections } from '../../api.js';

export const CallOp = z.enum(['join', 'leave', 'sync', 'message']);
export type CallOp = z.infer<typeof CallOp>;

const Caller = z.object({ userId: z.string(), name: z.string() });

const Call = z.object({
  t: z.literal('call'),
  id: z.string(),
  from: z.string(),
  op: CallOp,
  roomId: z.string(),
  user: Caller,
  socketId: z.string(),
  args: z.unknown(),
});
export type Call = z.infer<typeof Call>;

const Reply = z.object({
  t: z.literal('reply'),
  id: z.string(),
  ok: z.boolean(),
  data: z.unknown().optional(),
  error: z.object({ code: z.enum(ErrorCode), message: z.string(), retryAfterMs: z.number().optional() }).optional(),
});

export const Frame = z.object({ roomId: z.string(), userId: z.string(), socketId: z.string(), event: z.enum(['room:patch', 'room:state', 'room:left', 'room:closed']), data: z.unknown() });
export type Frame = z.infer<typeof Frame>;
const Frames = z.object({ t: z.literal('frames'), from: z.string(), frames: z.array(Frame) });

/** A seat's socket closed, or is not on the node the frames were sent to. */
const Dropped = z.object({ t: z.literal('dropped'), roomId: z.string(), userId: z.string(), socketId: z.string() });
export type Dropped = z.infer<typeof Dropped>;

const Message = z.discriminatedUnion('t', [Call, Reply, Frames, Dropped]);

export interface BusHandlers {
  /** Runs a command forwarded from another node; its result or AppError goes back. */
  call(call: Call): Promise<unknown>;
  /** Frames a room's node sends to sockets on this node. */
  frames(from: string, frames: Frame[]): void;
  dropped(dropped: Dropped): void;
  /** Frames no node received: the seats' node is gone too. */
  undelivered(frames: Frame[]): void;
}

interface Pending {
  resolve(data: unknown): void;
  reject(error: AppError): void;
  timer: NodeJS.Timeout;
}

/** Calls in flight at once; beyond it a call is refused `UNAVAILABLE` rather than queued. */
const MAX_PENDING = 10_000;

export class RoomBus {
  private readonly pending = new Map<string, Pending>();
  private readonly outbox = new Map<string, Frame[]>();
  private flushScheduled = false;
  private handlers: BusHandlers | null = null;
  private readonly inbox: string;
  private readonly onMessage = (channel: string, raw: string) => {
    if (channel === this.inbox) this.receive(raw);
  };

  constructor(
    private readonly redis: RedisConnections,
    readonly nodeId: string,
    private readonly logger: Logger,
    private readonly timeoutMs: number,
  ) {
    this.inbox = this.inboxOf(nodeId);
  }

  private inboxOf(nodeId: string): string {
    return this.redis.key('groom', 'inbox', nodeId);
  }

  async start(handlers: BusHandlers): Promise<void> {
    this.handlers = handlers;
    this.redis.sub.on('smessage', this.onMessage);
    await this.redis.sub.ssubscribe(this.inbox);
  }

  async stop(): Promise<void> {
    this.redis.sub.off('smessage', this.onMessage);
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(new AppError(ErrorCode.UNAVAILABLE, 'this node is shutting down'));
      this.pending.delete(id);
    }
    await this.redis.sub.sunsubscribe(this.inbox).catch(() => undefined);
  }

  /** Publishes to a node's inbox; false when no node received it (the node is gone). */
  private async publish(nodeId: string, message: z.input<typeof Message>): Promise<boolean> {
    if (!this.redis.healthy) throw new AppError(ErrorCode.UNAVAILABLE, 'storage is unavailable, try again shortly');
    const publisher = this.redis.pub as unknown as { spublish(channel: string, message: string): Promise<number> };
    try {
      return (await publisher.spublish(this.inboxOf(nodeId), JSON.stringify(message))) > 0;
    } catch (error) {
      throw new AppError(ErrorCode.UNAVAILABLE, 'the room could not be reached, try again shortly', { cause: error });
    }
  }

  /** Runs `op` on the room's node and resolves with its answer; its AppError is thrown here as it was there. */
  async call(nodeId: string, op: CallOp, roomId: string, user: z.input<typeof Caller>, socketId: string, args: unknown): Promise<unknown> {
    if (this.pending.size >= MAX_PENDING) throw new AppError(ErrorCode.UNAVAILABLE, 'too many room commands in flight, try again shortly');
    const id = randomId();
    const answer = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new AppError(ErrorCode.UNAVAILABLE, `room ${roomId} did not answer in time, try again shortly`));
      }, this.timeoutMs);
      timer.unref();
      this.pending.set(id, { resolve, reject, timer });
    });
    let received: boolean;
    try {
      received = await this.publish(nodeId, { t: 'call', id, from: this.nodeId, op, roomId, user: { userId: user.userId, name: user.name }, socketId, args });
    } catch (error) {
      this.settle(id);
      throw error;
    }
    if (!received) {
      this.settle(id);
      throw new NodeUnreachable(roomId);
    }
    return answer;
  }

  private settle(id: string): Pending | undefined {
    const pending = this.pending.get(id);
    if (pending) clearTimeout(pending.timer);
    this.pending.delete(id);
    return pending;
  }

  /** Queues a frame for a socket on another node; the frames of one turn go out together. */
  send(nodeId: string, frame: Frame): void {
    const queued = this.outbox.get(nodeId);
    if (queued) queued.push(frame);
    else this.outbox.set(nodeId, [frame]);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flushOutbox());
  }

  private flushOutbox(): void {
    this.flushScheduled = false;
    for (const [nodeId, frames] of this.outbox) {
      this.publish(nodeId, { t: 'frames', from: this.nodeId, frames }).then((received) => {
        if (!received) this.handlers?.undelivered(frames);
      }, (error: unknown) => {
        // Patches are volatile: the player's next seq gap (or rejoin) brings the full state.
        this.logger.debug({ err: error, nodeId, frames: frames.length }, 'room frames not sent');
      });
    }
    this.outbox.clear();
  }

  /** Tells a room's node that a seat's socket is gone. */
  dropped(nodeId: string, dropped: Omit<Dropped, 't'>): void {
    this.publish(nodeId, { t: 'dropped', ...dropped }).catch((error: unknown) => {
      // The room's node is unreachable: when it is restored, its frames to the socket find it gone.
      this.logger.debug({ err: error, nodeId, roomId: dropped.roomId }, 'room drop not sent');
    });
  }

  private receive(raw: string): void {
    let message: z.infer<typeof Message>;
    try {
      const parsed = Message.safeParse(JSON.parse(raw));
      if (!parsed.success) throw parsed.error;
      message = parsed.data;
    } catch (error) {
      // Another version of the server during a rolling deploy, say: dropped, never fatal.
      this.logger.warn({ err: error }, 'unreadable game-room message from another node');
      return;
    }
    const handlers = this.handlers;
    if (!handlers) return;
    switch (message.t) {
      case 'reply': {
        const pending = this.settle(message.id);
        if (!pending) return;
        if (message.ok) pending.resolve(message.data);
        else {
          const { code = ErrorCode.INTERNAL, message: text = 'the room failed', retryAfterMs } = message.error ?? {};
          pending.reject(new AppError(code, text, retryAfterMs === undefined ? {} : { retryAfterMs }));
        }
        return;
      }
      case 'frames': {
        // After this turn: a join's ack, resolved just now from the same inbox, reaches the
        // socket before the patches that follow it.
        const { from, frames } = message;
        setImmediate(() => handlers.frames(from, frames));
        return;
      }
      case 'dropped':
        handlers.dropped(message);
        return;
      case 'call':
        void this.answer(message, handlers);
        return;
    }
  }

  private async answer(call: Call, handlers: BusHandlers): Promise<void> {
    let reply: z.input<typeof Reply>;
    try {
      reply = { t: 'reply', id: call.id, ok: true, data: await handlers.call(call) };
    } catch (error) {
      if (error instanceof AppError) {
        const { code, message, retryAfterMs } = error.toPayload();
        reply = { t: 'reply', id: call.id, ok: false, error: { code, message, ...(retryAfterMs !== undefined && { retryAfterMs }) } };
      }
      else {
        this.logger.error({ err: error, roomId: call.roomId, op: call.op }, 'a forwarded room command failed');
        reply = { t: 'reply', id: call.id, ok: false, error: { code: ErrorCode.INTERNAL, message: 'internal error' } };
      }
    }
    await this.publish(call.from, reply).catch((error: unknown) => {
      this.logger.debug({ err: error, nodeId: call.from }, 'room reply not sent');
    });
  }
}

/** The room's node received nothing: it is gone (its rooms are about to be restored elsewhere). */
export class NodeUnreachable extends AppError {
  constructor(roomId: string) {
    super(ErrorCode.UNAVAILABLE, `the node of room ${roomId} is unreachable; the room is being restored, try again shortly`);
  }
}
