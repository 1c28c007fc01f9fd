/**
 * The admin HTTP API (`/api/realtime/*`), on the same port as Socket.IO, as one table of
 * routes (see `admin.route.ts`). Callers present a JWT with role `service` or `admin`; bodies
 * are validated with the protocol's schemas; errors are `{ error: { code, message } }` with
 * the matching HTTP status. The same table is the OpenAPI document at
 * `GET /api/realtime/openapi.json`.
 */
import {
  AnnounceBody,
  AnnounceResult,
  DisconnectBody,
  DisconnectResult,
  EmitBody,
  EmitResult,
  ErrorCode,
  GuildMembersBody,
  GuildMembersResult,
  Id,
  MetricsSummaryResult,
  NodeMetrics,
  NodeRooms,
  NodeStats,
  NotifyBody,
  NotifyResult,
  RevokeBody,
  RevokeResult,
  RoomsQuery,
  RoomsResult,
  rooms,
  StatsResult,
  type EmitTargetType,
  type sessionSlice,
} from '@tavern/protocol';
import { z } from 'zod';
import { AppError, fromZodError, randomId, type FeatureContext } from '../../api.js';
import { askOtherNodes } from './admin.cluster.js';
import { mergeMetrics, nodeMetrics } from './admin.metrics.js';
import { OpenApiDocument, openApiDocument } from './admin.openapi.js';
import { defineRoute, type AdminRoute } from './admin.route.js';
import { mergeRooms, nodeRooms } from './admin.rooms.js';

// Figures of the document's examples (checked against the schemas at start-up outside production).
const EXAMPLE_AT = 1_767_225_600_000;
const EXAMPLE_NODE = { nodeId: 'tavern-1', connections: 120, users: 97, rooms: 240, eventsPerSecond: 310.5, uptimeMs: 3_600_000, at: EXAMPLE_AT };
const EXAMPLE_ROOMS = {
  rooms: 3,
  byKind: [
    { kind: 'global', rooms: 1, sockets: 2 },
    { kind: 'user', rooms: 2, sockets: 2 },
  ],
  busiest: [{ room: 'global:main', kind: 'global', sockets: 2 }],
};
const EXAMPLE_FIGURES = {
  events: { ok: 5210, refused: 14 },
  refusals: { RATE_LIMITED: 9, FORBIDDEN: 5 },
  rateLimited: { 'chat:send': 9 },
  floodDisconnects: 0,
  slowConsumerDisconnects: 1,
  handshakeRefusals: { UNAUTHENTICATED: 2 },
  capRefusals: {},
  internalErrors: 0,
};
const EXAMPLE_NODE_METRICS = { nodeId: 'tavern-1', at: EXAMPLE_AT, ...EXAMPLE_FIGURES };

const byNodeId = (a: { nodeId: string }, b: { nodeId: string }) => a.nodeId.localeCompare(b.nodeId);

/** Every admin route. */
export function adminRouteTable(context: FeatureContext<typeof sessionSlice>): AdminRoute[] {
  const { revocations, realtime, io, contract, nodeStats, metrics, config } = context;
  const clustered = context.redis !== null;
  let document: OpenApiDocument | undefined;

  const table: AdminRoute[] = [
    defineRoute({
      method: 'get',
      path: '/api/realtime/openapi.json',
      operationId: 'openapi',
      summary: 'This document',
      description: 'The OpenAPI 3.1 description of the admin API, generated from the schemas that validate it. No token needed.',
      public: true,
      errors: [],
      response: OpenApiDocument,
      run: () => (document ??= openApiDocument(table)),
    }),

    defineRoute({
      method: 'get',
      path: '/api/realtime/stats',
      operationId: 'stats',
      summary: 'Connections, users, rooms and events per second, per node and for the cluster',
      description: 'Other nodes are asked over Redis; a node that does not answer within 1 s is left out.',
      errors: [],
      response: StatsResult,
      examples: { response: { node: EXAMPLE_NODE, nodes: [EXAMPLE_NODE], cluster: { nodes: 1, connections: 120, users: 97, eventsPerSecond: 310.5 } } },
      run: async () => {
        const node = nodeStats();
        const others = clustered ? await askOtherNodes((ack) => io.serverSideEmit('tavern:stats', ack), NodeStats) : [];
        const nodes = [node, ...others].sort(byNodeId);
        return {
          node,
          nodes,
          cluster: {
            nodes: nodes.length,
            connections: nodes.reduce((sum, each) => sum + each.connections, 0),
            users: nodes.reduce((sum, each) => sum + each.users, 0),
            eventsPerSecond: nodes.reduce((sum, each) => sum + each.eventsPerSecond, 0),
          },
        };
      },
    }),

    defineRoute({
      method: 'get',
      path: '/api/realtime/rooms',
      operationId: 'rooms',
      summary: 'Rooms by kind and the busiest rooms, per node and for the cluster',
      description:
        'Counted from each node’s Socket.IO adapter (rooms with at least one of its sockets). Each node reports its `limit` busiest rooms (optionally of one `kind`); the cluster list sums what the nodes reported.',
      query: RoomsQuery,
      errors: [400],
      response: RoomsResult,
      examples: { response: { nodes: [{ nodeId: 'tavern-1', at: EXAMPLE_AT, ...EXAMPLE_ROOMS }], cluster: EXAMPLE_ROOMS } },
      run: async ({ query }) => {
        const node = nodeRooms(io, config.nodeId, query);
        const others = clustered ? await askOtherNodes((ack) => io.serverSideEmit('tavern:rooms', query, ack), NodeRooms) : [];
        return mergeRooms([node, ...others].sort(byNodeId), query.limit);
      },
    }),

    defineRoute({
      method: 'get',
      path: '/api/realtime/metrics-summary',
      operationId: 'metricsSummary',
      summary: 'Refusals by error code, rate limits hit, slow consumers and floods cut, per node and for the cluster',
      description: 'Counters since each node started, read from its Prometheus registry (the same figures `/metrics` exports).',
      errors: [],
      response: MetricsSummaryResult,
      examples: { response: { node: EXAMPLE_NODE_METRICS, nodes: [EXAMPLE_NODE_METRICS], cluster: EXAMPLE_FIGURES } },
      run: async () => {
        const node = await nodeMetrics(metrics, config.nodeId);
        const others = clustered ? await askOtherNodes((ack) => io.serverSideEmit('tavern:metrics', ack), NodeMetrics) : [];
        const nodes = [node, ...others].sort(byNodeId);
        return { node, nodes, cluster: mergeMetrics(nodes) };
      },
    }),

    defineRoute({
      method: 'post',
      path: '/api/realtime/announce',
      operationId: 'announce',
      summary: 'Send `system:announcement` to every connected client',
      body: AnnounceBody,
      errors: [400],
      response: AnnounceResult,
      examples: { body: { message: 'Server restarts at noon', priority: 'warning' }, response: { id: 'k3v9x2' } },
      run: ({ body: { message, priority } }) => {
        const id = randomId();
        context.broadcast('system:announcement', { id, message, priority, at: Date.now() });
        return { id };
      },
    }),

    defineRoute({
      method: 'post',
      path: '/api/realtime/emit',
      operationId: 'emit',
      summary: 'Send any server event of the running contract to a user, a room, or everyone',
      description: '`event` and `data` must validate against the server-event schemas of the contract this server runs (a studio’s events included).',
      body: EmitBody,
      errors: [400],
      response: EmitResult,
      examples: { body: { target: { type: 'user', id: 'alice' }, event: 'notification:count', data: { unread: 3 } }, response: { emitted: true } },
      run: ({ body: { target, event, data } }) => {
        const definition = Object.hasOwn(contract.serverEvents, event) ? contract.serverEvents[event] : undefined;
        if (!definition) throw new AppError(ErrorCode.INVALID_PAYLOAD, `unknown server event ${event}`);
        const checked = definition.payload.safeParse(data);
        if (!checked.success) throw fromZodError(checked.error, `data of ${event}`);
        if (target.type === 'all') realtime.broadcast(event, checked.data);
        else realtime.emit(roomOf(target.type, target.id ?? ''), event, checked.data);
        return { emitted: true as const };
      },
    }),

    defineRoute({
      method: 'post',
      path: '/api/realtime/notify',
      operationId: 'notify',
      summary: 'Store a notification for users and push it to those online',
      body: NotifyBody,
      errors: [400, 503],
      response: NotifyResult,
      examples: { body: { userIds: ['alice', 'bob'], type: 'reward', title: 'Daily reward', body: '50 gold', data: { gold: 50 } }, response: { notified: 2 } },
      run: async ({ body: { userIds, ...notification } }) => {
        const notifications = context.services.find('notifications');
        if (!notifications) throw new AppError(ErrorCode.UNAVAILABLE, 'notifications are not served by this server');
        return { notified: await notifications.notify(userIds, notification) };
      },
    }),

    defineRoute({
      method: 'put',
      path: '/api/realtime/guilds/:guildId/members',
      operationId: 'guildMembers',
      summary: 'Replace the members of a guild (beside the `guilds` claim of tokens)',
      params: z.object({ guildId: Id.meta({ description: 'the guild id', examples: ['knights'] }) }),
      body: GuildMembersBody,
      errors: [400, 503],
      response: GuildMembersResult,
      examples: { body: { userIds: ['alice', 'bob'] }, response: { guildId: 'knights', members: 2 } },
      run: async ({ params: { guildId }, body: { userIds } }) => {
        const guilds = context.services.find('guilds');
        if (!guilds) throw new AppError(ErrorCode.UNAVAILABLE, 'guilds are not served by this server');
        return { guildId, members: await guilds.setMembers(guildId, userIds) };
      },
    }),

    defineRoute({
      method: 'post',
      path: '/api/realtime/users/:userId/disconnect',
      operationId: 'disconnectUser',
      summary: 'End every session of a user, on every node (`session:ended` `KICKED` with the reason)',
      params: z.object({ userId: Id.meta({ description: 'the user id (the token’s `sub`)', examples: ['alice'] }) }),
      body: DisconnectBody,
      errors: [400, 503],
      response: DisconnectResult,
      examples: { body: { reason: 'maintenance' }, response: { disconnected: true } },
      run: async ({ params: { userId }, body: { reason } }) => {
        const online = await realtime.isUserOnline(userId);
        if (online) realtime.disconnectUser(userId, reason);
        return { disconnected: online };
      },
    }),

    defineRoute({
      method: 'post',
      path: '/api/realtime/revoke',
      operationId: 'revoke',
      summary: 'Revoke one token (`jti`) or every token of a user issued so far, until a time',
      description: 'Live sockets using a revoked token get `session:ended` `TOKEN_REVOKED` on every node; the handshake and `auth:refresh` refuse it until `until`.',
      body: RevokeBody,
      errors: [400, 503],
      response: RevokeResult,
      examples: { body: { jti: 'token-1', until: 1_767_229_200_000 }, response: { revoked: true } },
      run: async ({ body: { jti, userId, until } }) => {
        if (until <= Date.now()) throw new AppError(ErrorCode.INVALID_PAYLOAD, 'until must be in the future');
        await revocations.revoke({ ...(jti !== undefined && { jti }), ...(userId !== undefined && { userId }), revokedAt: Date.now(), until });
        return { revoked: true as const };
      },
    }),
  ];
  return table;
}

function roomOf(type: Exclude<EmitTargetType, 'all'>, id: string): string {
  // Every target type but `all` names a room helper taking one id.
  return rooms[type](id);
}
