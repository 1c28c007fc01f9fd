/**
 * One admin route as data: method, path, what it takes (path parameters, query, body: zod
 * schemas), what it answers (a zod schema), the error statuses it can answer with, and its
 * handler. The same value registers the route on the Hono app (`registerRoutes`) and describes
 * it in the OpenAPI document (`admin.openapi.ts`), so the two cannot drift.
 */
import { ErrorCode } from '@tavern/protocol';
import type { Context, Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import { AppError, exceedsShape, fromZodError, hasRole, type AuthUser, type FeatureContext } from '../../api.js';

/** The HTTP status of each error code the admin API answers with. */
export const ERROR_STATUS = {
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
} as const satisfies Partial<Record<ErrorCode, ContentfulStatusCode>>;

/** A status a route may declare beside 401 and 403 (every authenticated route has those) and 500 (every route). */
export type ErrorStatus = 400 | 404 | 409 | 429 | 503;

type Schema = z.ZodType | undefined;
type Parsed<S extends Schema> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteInput<P extends Schema, Q extends Schema, B extends Schema> {
  params: Parsed<P>;
  query: Parsed<Q>;
  body: Parsed<B>;
  /** Who called; null on a public route. */
  caller: AuthUser | null;
}

export interface RouteSpec<P extends Schema, Q extends Schema, B extends Schema, R extends z.ZodType> {
  method: 'get' | 'post' | 'put';
  /** Hono's syntax: `/api/realtime/users/:userId/disconnect`. */
  path: `/api/realtime/${string}`;
  /** Unique; also names the body and result schemas in the document (`announce` -> `AnnounceBody`). */
  operationId: string;
  summary: string;
  description?: string;
  /** No token needed (the OpenAPI document itself). @default false */
  public?: boolean;
  params?: P;
  query?: Q;
  body?: B;
  response: R;
  /** Error statuses beyond 401, 403 and 500. */
  errors: readonly ErrorStatus[];
  /** Shown in the document; `admin-openapi.test.ts` checks each against its schema. */
  examples?: { body?: B extends z.ZodType ? z.input<B> : never; response?: z.output<R> };
  run(input: RouteInput<P, Q, B>): z.output<R> | Promise<z.output<R>>;
}

/** A route with its types erased, as the table holds it. */
export interface AdminRoute {
  readonly method: 'get' | 'post' | 'put';
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly public?: boolean;
  readonly params?: z.ZodObject;
  readonly query?: z.ZodObject;
  readonly body?: z.ZodType;
  readonly response: z.ZodType;
  readonly errors: readonly ErrorStatus[];
  readonly examples?: { readonly body?: unknown; readonly response?: unknown };
  readonly run: (input: RouteInput<z.ZodType, z.ZodType, z.ZodType>) => unknown;
}

/**
 * Declares a route; the handler's input is typed by the schemas. `params` and `query` are
 * objects of strings as they arrive (coerce in the schema where a number is meant).
 */
export function defineRoute<
  R extends z.ZodType,
  P extends z.ZodObject | undefined = undefined,
  Q extends z.ZodObject | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(spec: RouteSpec<P, Q, B, R>): AdminRoute {
  // registerRoutes parses params, query and body with these very schemas before `run`, so
  // the input `run` gets is what its types say.
  return spec as unknown as AdminRoute;
}

/** OpenAPI's `{userId}` for Hono's `:userId`. */
export const openApiPath = (path: string): string => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

export interface RegisterOptions {
  context: Pick<FeatureContext, 'verifier' | 'revocations' | 'logger' | 'config'>;
  /** Check the examples at start-up and every answer against its schema (off in production, like outgoing events). */
  checkResponses: boolean;
}

/** Throws when a route's examples do not match its schemas: they are the document's promise. */
export function checkExamples(route: AdminRoute): void {
  const { examples } = route;
  const mismatch = (what: string, error: z.ZodError) => new Error(`the ${what} example of ${route.operationId} does not match its schema: ${error.message}`);
  if (examples?.body !== undefined) {
    const parsed = route.body?.safeParse(examples.body);
    if (!parsed) throw new Error(`${route.operationId} has a body example but no body schema`);
    if (!parsed.success) throw mismatch('body', parsed.error);
  }
  if (examples?.response !== undefined) {
    const parsed = route.response.safeParse(examples.response);
    if (!parsed.success) throw mismatch('response', parsed.error);
  }
  for (const schema of [route.params, route.query]) {
    for (const [name, field] of Object.entries(schema?.shape ?? {})) {
      for (const example of (field.meta()?.examples as unknown[] | undefined) ?? []) {
        const parsed = field.safeParse(example);
        if (!parsed.success) throw mismatch(`${name}`, parsed.error);
      }
    }
  }
}

/** Registers each route of the table on `app`: authentication, validation, error bodies, audit log. */
export function registerRoutes(app: Hono, table: readonly AdminRoute[], { context, checkResponses }: RegisterOptions): void {
  const { verifier, revocations, logger } = context;

  async function authenticate(c: Context): Promise<AuthUser> {
    const header = c.req.header('authorization');
    if (!header?.startsWith('Bearer ')) throw new AppError(ErrorCode.UNAUTHENTICATED, 'send Authorization: Bearer <JWT>');
    const { user } = await verifier.verify(header.slice(7).trim());
    await revocations.assertNotRevoked(user);
    if (!hasRole(user, 'service', 'admin')) throw new AppError(ErrorCode.FORBIDDEN, 'the admin API needs role service or admin');
    return user;
  }

  const maxDepth = context.config.limits.maxPayloadDepth;
  async function jsonBody(c: Context): Promise<unknown> {
    const body: unknown = await c.req.json().catch(() => {
      throw new AppError(ErrorCode.INVALID_PAYLOAD, 'the body must be JSON');
    });
    // The same bound as on sockets: a 20,000-deep `data` must be refused, not walked by the
    // validator and Socket.IO's encoder (whose recursion overflows the stack).
    if (exceedsShape(body, maxDepth)) throw new AppError(ErrorCode.INVALID_PAYLOAD, `the body nests deeper than ${maxDepth} levels or is too large`);
    return body;
  }

  function parse<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw fromZodError(parsed.error, where);
    return parsed.data;
  }

  for (const route of table) {
    if (checkResponses) checkExamples(route);
    app[route.method](route.path, async (c) => {
      try {
        const caller = route.public ? null : await authenticate(c);
        const input = {
          params: route.params ? parse(route.params, c.req.param(), 'path') : undefined,
          query: route.query ? parse(route.query, c.req.query(), 'query') : undefined,
          body: route.body ? parse(route.body, await jsonBody(c), 'body') : undefined,
          caller,
        };
        const result = await route.run(input);
        if (checkResponses) {
          const checked = route.response.safeParse(result);
          // A bug of the server, not of the caller: a 500, logged with the mismatch.
          if (!checked.success) throw new Error(`${route.operationId} answered outside its schema: ${checked.error.message}`);
        }
        // Reads are polled by the dashboard; only what changes something is an audit line.
        if (caller && route.method !== 'get') logger.info({ caller: caller.userId, method: c.req.method, path: c.req.path }, 'admin call');
        return c.json(result as object);
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        const status: ContentfulStatusCode = (ERROR_STATUS as Partial<Record<ErrorCode, ContentfulStatusCode>>)[error.code] ?? 500;
        return c.json({ error: error.toPayload() }, status);
      }
    });
  }
}
