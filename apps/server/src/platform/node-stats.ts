/**
 * This node's figures for the admin API: connections, distinct users, rooms, and client
 * events per second over the last sampling window.
 */
import { rooms, type NodeStats } from '@tavern/protocol';

const USER_ROOM_PREFIX = rooms.user('');

/** What the sampler reads of the Socket.IO server: the main namespace's rooms and sockets. */
export interface SampledServer {
  of(name: '/'): { adapter: { rooms: ReadonlyMap<string, unknown> }; sockets: ReadonlyMap<string, unknown> };
}

export class NodeStatsSampler {
  private readonly startedAt = Date.now();
  private last = { at: Date.now(), received: 0 };
  private rate = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly io: SampledServer,
    private readonly nodeId: string,
    private readonly received: () => number,
    private readonly windowMs = 5_000,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.sample(), this.windowMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  current(): NodeStats {
    const adapterRooms = this.io.of('/').adapter.rooms;
    const sockets = this.io.of('/').sockets;
    let users = 0;
    let named = 0;
    for (const name of adapterRooms.keys()) {
      if (sockets.has(name)) continue; // each socket's own room
      named++;
      if (name.startsWith(USER_ROOM_PREFIX)) users++;
    }
    const now = Date.now();
    // Before the first full window, the rate so far.
    const rate = this.rate || ((this.received() - this.last.received) * 1000) / Math.max(1, now - this.last.at);
    return {
      nodeId: this.nodeId,
      connections: sockets.size,
      users,
      rooms: named,
      eventsPerSecond: Math.round(rate * 100) / 100,
      uptimeMs: now - this.startedAt,
      at: now,
    };
  }

  private sample(): void {
    const now = Date.now();
    const received = this.received();
    this.rate = ((received - this.last.received) * 1000) / Math.max(1, now - this.last.at);
    this.last = { at: now, received };
  }
}
