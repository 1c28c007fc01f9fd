/**
 * The admin HTTP API (`/api/realtime/*`), on the same port as Socket.IO. Callers present a
 * JWT with role `service` or `admin`; bodies are validated with the protocol's schemas;
 * errors are `{ error: { code, message } }` with the matching HTTP status.
 */
import {
  AnnounceBody,
  DisconnectBody,
  EmitBody,
  ErrorCode,
  GuildMembersBody,
  ID_PATTERN,
  NotifyBody,
  RevokeBody,
  rooms,
  type EmitTargetType,
  type NodeStats,
  type sessionSlice,
  type StatsResult,
} from '@tavern/protocol';
import type { Context, Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import { AppError, fromZodError, hasRole, randomId, type AuthUser, type FeatureContext } from '../../api.js';

const STATUS: Partial<Record<ErrorCode, ContentfulStatusCode>> = {
  [ErrorCode.INVALID_PAYLOAD]: 400,
  [ErrorCode.UNAUTHENTICATED]: 401,
  [ErrorCode.TOKEN_EXPIRED]: 401,
  [ErrorCode.TOKEN_REVOKED]: 401,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.NOT_FOUND]: 404,
  [ErrorCode.CONFLICT]: 409,
  [ErrorCode.PRECONDITION_FAILED]: 409,
  [ErrorCode.RATE_LIMITED]: 429,
  [ErrorCode.UNAVAILABLE]: 503,
};

/** How long to wait for other nodes' figures. */
const STATS_TIMEOUT_MS = 1_000;

type Handler = (c: Context, caller: AuthUser) => Promise<Response>;

export function adminRoutes(app: Hono, context: FeatureContext<typeof sessionSlice>): void {
  const { verifier, revocations, realtime, io, logger, contract, nodeStats } = context;

  async function authenticate(c: Context): Promise<AuthUser> {
    const header = c.req.header('authorization');
    if (!header?.startsWith('Bearer ')) throw new AppError(ErrorCode.UNAUTHENTICATED, 'send Authorization: Bearer <JWT>');
    const { user } = await verifier.verify(header.slice(7).trim());
    await revocations.assertNotRevoked(user);
    if (!hasRole(user, 'service', 'admin')) throw new AppError(ErrorCode.FORBIDDEN, 'the admin API needs role service or admin');
    return user;
  }

  /** Wraps a route: authentication, AppError -> status and error body, audit log line. */
  const route =
    (handler: Handler) =>
    async (c: Context): Promise<Response> => {
      try {
        const caller = await authenticate(c);
        const response = await handler(c, caller);
        logger.info({ caller: caller.userId, method: c.req.method, path: c.req.path }, 'admin call');
        return response;
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        return c.json({ error: error.toPayload() }, STATUS[error.code] ?? 500);
      }
    };

  async function body<T extends z.ZodType>(c: Context, schema: T): Promise<z.output<T>> {
    const raw: unknown = await c.req.json().catch(() => {
      throw new AppError(ErrorCode.INVALID_PAYLOAD, 'the body must be JSON');
    });
    const parsed = schema.safeParse(raw);
    if (!parsed.success) throw fromZodError(parsed.error, 'body');
    return parsed.data;
  }

  /** The figures of every other node; a node that does not answer in time is left out. */
  function otherNodes(): Promise<NodeStats[]> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve([]), STATS_TIMEOUT_MS);
      // On a timeout the adapter still hands over the responses that did arrive.
      io.serverSideEmit('tavern:stats', (_error: Error | null, responses: NodeStats[] | undefined) => {
        clearTimeout(timer);
        resolve(responses ?? []);
      });
    });
  }

  app.get(
    '/api/realtime/stats',
    route(async (c) => {
      const node = nodeStats();
      const others = context.redis ? await otherNodes() : [];
      const nodes = [node, ...others].sort((a, b) => a.nodeId.localeCompare(b.nodeId));
      const result: StatsResult = {
        node,
        nodes,
        cluster: {
          nodes: nodes.length,
          connections: nodes.reduce((sum, each) => sum + each.connections, 0),
          users: nodes.reduce((sum, each) => sum + each.users, 0),
          eventsPerSecond: nodes.reduce((sum, each) => sum + each.eventsPerSecond, 0),
        },
      };
      return c.json(result);
    }),
  );

  app.post(
    '/api/realtime/announce',
    route(async (c) => {
      const { message, priority } = await body(c, AnnounceBody);
      const id = randomId();
      context.broadcast('system:announcement', { id, message, priority, at: Date.now() });
      return c.json({ id });
    }),
  );

  app.post(
    '/api/realtime/emit',
    route(async (c) => {
      const { target, event, data } = await body(c, EmitBody);
      // Any server event of the running contract, the studio's own included.
      const definition = Object.hasOwn(contract.serverEvents, event) ? contract.serverEvents[event] : undefined;
      if (!definition) throw new AppError(ErrorCode.INVALID_PAYLOAD, `unknown server event ${event}`);
      const checked = definition.payload.safeParse(data);
      if (!checked.success) throw fromZodError(checked.error, `data of ${event}`);
      if (target.type === 'all') realtime.broadcast(event, checked.data);
      else realtime.emit(roomOf(target.type, target.id ?? ''), event, checked.data);
      return c.json({ emitted: true });
    }),
  );

  app.post(
    '/api/realtime/notify',
    route(async (c) => {
      const { userIds, ...notification } = await body(c, NotifyBody);
      const notifications = context.services.find('notifications');
      if (!notifications) throw new AppError(ErrorCode.UNAVAILABLE, 'notifications are not served by this server');
      return c.json({ notified: await notifications.notify(userIds, notification) });
    }),
  );

  app.put(
    '/api/realtime/guilds/:guildId/members',
    route(async (c) => {
      const guildId = c.req.param('guildId') ?? '';
      if (!ID_PATTERN.test(guildId)) throw new AppError(ErrorCode.INVALID_PAYLOAD, 'guildId is not a valid id');
      const { userIds } = await body(c, GuildMembersBody);
      const guilds = context.services.find('guilds');
      if (!guilds) throw new AppError(ErrorCode.UNAVAILABLE, 'guilds are not served by this server');
      return c.json({ guildId, members: await guilds.setMembers(guildId, userIds) });
    }),
  );

  app.post(
    '/api/realtime/users/:userId/disconnect',
    route(async (c) => {
      const { reason } = await body(c, DisconnectBody);
      const userId = c.req.param('userId') ?? '';
      const online = await realtime.isUserOnline(userId);
      if (online) realtime.disconnectUser(userId, reason);
      return c.json({ disconnected: online });
    }),
  );

  app.post(
    '/api/realtime/revoke',
    route(async (c) => {
      const { jti, userId, until } = await body(c, RevokeBody);
      if (until <= Date.now()) throw new AppError(ErrorCode.INVALID_PAYLOAD, 'until must be in the future');
      await revocations.revoke({ ...(jti !== undefined && { jti }), ...(userId !== undefined && { userId }), revokedAt: Date.now(), until });
      return c.json({ revoked: true });
    }),
  );
}

function roomOf(type: Exclude<EmitTargetType, 'all'>, id: string): string {
  // Every target type but `all` names a room helper taking one id.
  return (rooms[type])(id);
}
