/** Bodies and answers of the admin HTTP API (`/api/realtime/*`). */
import { z } from 'zod';
import { Id, Timestamp } from './common.js';
import { ErrorCodeSchema } from './errors.js';
import { AnnouncementPriority } from './session.js';

export const AdminErrorBody = z.object({ error: z.object({ code: ErrorCodeSchema, message: z.string(), details: z.unknown().optional() }) });
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
