/** Bodies and answers of the admin HTTP API (`/api/realtime/*`). */
import { z } from 'zod';
import { Id, Timestamp } from './common.js';
import { ErrorCodeSchema } from './errors.js';
import { ROOM_KIND_PATTERN } from './rooms.js';
import { AnnouncementPriority } from './session.js';

export const AdminErrorBody = z.object({
  error: z.object({ code: ErrorCodeSchema, message: z.string(), retryAfterMs: z.number().int().nonnegative().optional(), details: z.unknown().optional() }),
});
export type AdminErrorBody = z.infer<typeof AdminErrorBody>;

export const AnnounceBody = z.object({ message: z.string().trim().min(1).max(2000), priority: AnnouncementPriority.default('info') });
export const AnnounceResult = z.object({ id: Id });

export const NotifyBody = z.object({
  userIds: z.array(Id).min(1).max(1000),
  type: z.string().min(1).max(64),
  title: z.string().min(1).max(200),
  body: z.string().max(2000),
  data: z.record(z.string(), z.unknown()).optional(),
});
export const NotifyResult = z.object({ notified: z.number().int().nonnegative() });

export const EmitTargetType = z.enum(['user', 'zone', 'guild', 'party', 'combat', 'lobby', 'poker', 'room', 'all']);
export type EmitTargetType = z.infer<typeof EmitTargetType>;
export const EmitBody = z
  .object({
    target: z.object({ type: EmitTargetType, id: Id.optional() }),
    event: z.string().min(1).max(64),
    data: z.unknown(),
  })
  .refine((body) => body.target.type === 'all' || body.target.id !== undefined, {
    message: 'target.id is required unless target.type is "all"',
    path: ['target', 'id'],
  });
export const EmitResult = z.object({ emitted: z.literal(true) });

export const DisconnectBody = z.object({ reason: z.string().trim().min(1).max(200) });
export const DisconnectResult = z.object({ disconnected: z.boolean() });

export const RevokeBody = z
  .object({ jti: z.string().min(1).max(128).optional(), userId: Id.optional(), until: Timestamp })
  .refine((body) => body.jti !== undefined || body.userId !== undefined, 'give jti or userId');
export const RevokeResult = z.object({ revoked: z.literal(true) });

export const GuildMembersBody = z.object({ userIds: z.array(Id).max(10_000) });
export const GuildMembersResult = z.object({ guildId: Id, members: z.number().int().nonnegative() });

export const NodeStats = z.object({
  nodeId: z.string(),
  connections: z.number().int().nonnegative(),
  users: z.number().int().nonnegative(),
  rooms: z.number().int().nonnegative(),
  eventsPerSecond: z.number().nonnegative(),
  uptimeMs: z.number().int().nonnegative(),
  at: Timestamp,
});
export type NodeStats = z.infer<typeof NodeStats>;

export const StatsResult = z.object({
  node: NodeStats,
  nodes: z.array(NodeStats),
  cluster: z.object({
    nodes: z.number().int().nonnegative(),
    connections: z.number().int().nonnegative(),
    users: z.number().int().nonnegative(),
    eventsPerSecond: z.number().nonnegative(),
  }),
});
export type StatsResult = z.infer<typeof StatsResult>;

/** Query of `GET /api/realtime/rooms`: how many of the busiest rooms, optionally of one kind. */
export const RoomsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(10).describe('how many of the busiest rooms each node reports'),
  kind: z.string().regex(ROOM_KIND_PATTERN, 'a room kind is lowercase letters, digits and -').optional().describe('only rooms of this kind in `busiest` (`zone`, `guild`, ...)'),
});
export type RoomsQuery = z.output<typeof RoomsQuery>;

/** Rooms of one kind (`zone`, `guild`, ... or `other` for names without a kind) and the sockets in them. */
export const RoomKindCount = z.object({
  kind: z.string(),
  rooms: z.number().int().nonnegative(),
  sockets: z.number().int().nonnegative(),
});
export type RoomKindCount = z.infer<typeof RoomKindCount>;

export const BusyRoom = z.object({ room: z.string(), kind: z.string(), sockets: z.number().int().nonnegative() });
export type BusyRoom = z.infer<typeof BusyRoom>;

/** One node's rooms: totals by kind, and its busiest rooms (at most the query's `limit`). */
export const NodeRooms = z.object({
  nodeId: z.string(),
  rooms: z.number().int().nonnegative(),
  byKind: z.array(RoomKindCount),
  busiest: z.array(BusyRoom),
  at: Timestamp,
});
export type NodeRooms = z.infer<typeof NodeRooms>;

/**
 * Rooms of every node. In `cluster`, sockets are summed over nodes (exact); a room with members
 * on two nodes counts once per node in `rooms`; `busiest` merges each node's top list.
 */
export const RoomsResult = z.object({
  nodes: z.array(NodeRooms),
  cluster: z.object({ rooms: z.number().int().nonnegative(), byKind: z.array(RoomKindCount), busiest: z.array(BusyRoom) }),
});
export type RoomsResult = z.infer<typeof RoomsResult>;

const Counts = z.record(z.string(), z.number().nonnegative());

/** Counters of one node since it started (or of the cluster, summed), read from its Prometheus registry. */
export const MetricsFigures = z.object({
  /** Client events received: handled (`ok`) and refused with an error code. */
  events: z.object({ ok: z.number().nonnegative(), refused: z.number().nonnegative() }),
  /** Refused client events by error code (`tavern_events_total` with an outcome other than `ok`). */
  refusals: Counts,
  /** Events refused by the per-event token buckets, by event (`tavern_rate_limited_total`). */
  rateLimited: Counts,
  /** Sockets disconnected for flooding at 10x their limits (`tavern_flood_disconnects_total`). */
  floodDisconnects: z.number().nonnegative(),
  /** Sockets cut because their unsent queue passed the limit (`tavern_slow_consumer_disconnects_total`). */
  slowConsumerDisconnects: z.number().nonnegative(),
  /** Refused handshakes by error code (`tavern_handshakes_total` with an outcome other than `ok`). */
  handshakeRefusals: Counts,
  /** Refusals by a cap: `rooms_per_socket`, `sockets_per_user`, `handshakes_per_ip`. */
  capRefusals: Counts,
  /** Unexpected errors caught (`tavern_internal_errors_total`); should stay 0. */
  internalErrors: z.number().nonnegative(),
});
export type MetricsFigures = z.infer<typeof MetricsFigures>;

export const NodeMetrics = MetricsFigures.extend({ nodeId: z.string(), at: Timestamp });
export type NodeMetrics = z.infer<typeof NodeMetrics>;

export const MetricsSummaryResult = z.object({ node: NodeMetrics, nodes: z.array(NodeMetrics), cluster: MetricsFigures });
export type MetricsSummaryResult = z.infer<typeof MetricsSummaryResult>;

export const DevTokenBody = z.object({
  userId: Id,
  name: z.string().trim().min(1).max(64).optional(),
  characterId: Id.optional(),
  roles: z.array(z.enum(['player', 'moderator', 'admin', 'service'])).max(4).optional(),
  guilds: z.array(Id).max(64).optional(),
  mmr: z.number().finite().optional(),
  ttlSeconds: z.number().int().min(5).max(7 * 24 * 3600).optional(),
});
export const DevTokenResult = z.object({ token: z.string(), expiresAt: Timestamp });
