/**
 * Tavern's HTTP surface beside Socket.IO (Hono): health, readiness, Prometheus metrics, the
 * dev-mode token endpoint, the routes features add (admin API), and the demo page.
 */
import { serveStatic } from '@hono/node-server/serve-static';
import { DevTokenBody, ErrorCode } from '@tavern/protocol';
import { Hono } from 'hono';
import { relative } from 'node:path';
import { randomId } from './ids.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

/** Signs a token for `sub` that lives `ttlSeconds` (the dev-mode verifier's `sign`). */
export type DevTokenSigner = (claims: { sub: string } & Record<string, unknown>, ttlSeconds: number) => Promise<string>;

export interface HttpDeps {
  nodeId: string;
  metrics: Metrics;
  /** Serves `POST /dev/token` when given: only in dev mode. */
  signDevToken: DevTokenSigner | null;
  logger: Logger;
  /** Null when ready; otherwise why not (shutting down, Redis unreachable). */
  notReadyReason: () => string | null;
  /** Brings gauges that are cheaper to compute on demand up to date before a scrape. */
  beforeScrape: () => void;
}

/** Dev tokens live an hour unless the caller asks for less (tests ask for seconds). */
const DEV_TOKEN_TTL_SEC = 3600;

export function createHttpApp(deps: HttpDeps): Hono {
  const { nodeId, metrics, signDevToken: sign } = deps;
  const app = new Hono();

  app.get('/healthz', (c) => c.json({ status: 'ok', node: nodeId }));

  app.get('/readyz', (c) => {
    const reason = deps.notReadyReason();
    return reason === null ? c.json({ status: 'ready' }) : c.json({ status: 'not ready', reason }, 503);
  });

  app.get('/metrics', async (c) => {
    deps.beforeScrape();
    const body = await metrics.registry.metrics();
    return c.body(body, 200, { 'content-type': metrics.registry.contentType });
  });

  if (sign) {
    app.post('/dev/token', async (c) => {
      const body = DevTokenBody.safeParse(await c.req.json().catch(() => null));
      if (!body.success) {
        return c.json({ error: { code: ErrorCode.INVALID_PAYLOAD, message: body.error.issues[0]?.message ?? 'bad body' } }, 400);
      }
      const { userId, ttlSeconds, characterId, ...claims } = body.data;
      const ttl = ttlSeconds ?? DEV_TOKEN_TTL_SEC;
      const token = await sign({ ...claims, ...(characterId !== undefined && { cid: characterId }), sub: userId, jti: randomId() }, ttl);
      return c.json({ token, expiresAt: Date.now() + ttl * 1000 });
    });
  }

  // Every error status is `{ error: { code, message } }`, an unknown path included.
  app.notFound((c) => c.json({ error: { code: ErrorCode.NOT_FOUND, message: `no route ${c.req.method} ${c.req.path.slice(0, 200)}` } }, 404));

  app.onError((error, c) => {
    metrics.internalErrors.labels('http').inc();
    deps.logger.error({ err: error, path: c.req.path }, 'http route failed');
    return c.json({ error: { code: ErrorCode.INTERNAL, message: 'internal error' } }, 500);
  });
  return app;
}

/** Serves the demo page (or any static folder) at `/`; added after every other route. */
export function serveStaticDir(app: Hono, dir: string): void {
  // serveStatic resolves `root` against the working directory.
  app.use('/*', serveStatic({ root: relative(process.cwd(), dir) || '.' }));
}
