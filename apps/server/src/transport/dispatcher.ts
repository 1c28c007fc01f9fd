/**
 * The one path every client event takes: rate limits (the socket's, then the user's) -> shape
 * guard -> zod -> handler -> exactly one ack (or `error` / `rate:limited` without one) ->
 * metrics and a log line.
 *
 * It is installed with `socket.onAny`, one shared function for all sockets, so an idle
 * connection carries no per-event listeners.
 *
 * Two rate limits per event, both from its rule: the socket's own bucket (protects the node from
 * one connection; flooding it disconnects the socket), then the user's, `userRateFactor` times
 * the rule across all of the user's sockets on all nodes (`DistributedLimiter`: decided from this
 * node's mirror, never waiting for Redis). The user's credit per event is one socket's burst, so
 * a single socket's burst is never cut by it while a report is in flight.
 *
 * Tracing (when configured) adds a span per event: started on arrival, ended with the outcome,
 * active while the handler runs. Off, `span` is undefined throughout and each of those three
 * places costs one test of it: no span, closure or context lookup.
 */
import { ErrorCode, type ClientEventSchema, type ErrorPayload, type Result } from '@tavern/protocol';
import type { z } from 'zod';
import type { Config } from '../config.js';
import type { Logger } from '../platform/logger.js';
import type { CounterSeries, HistogramSeries } from '../platform/hot-metrics.js';
import type { Metrics } from '../platform/metrics.js';
import type { RedisConnections } from '../platform/redis.js';
import type { EventSpan, Tracing } from '../platform/tracing.js';
import { AppError, fromZodError } from '../platform/app-error.js';
import type { ExtensionHooks } from '../hooks/hooks.js';
import type { HandlerContext } from './handler-context.js';
import { DistributedLimiter, LIMIT_PENDING } from './distributed-limiter.js';
import { exceedsShape } from './payload-guard.js';
import { RateLimiter } from './rate-limiter.js';
import type { AuthUser, TavernSocket } from './socket-types.js';

type AckFn = (result: Result<unknown>) => void;

/** One client event the server serves: its definition in the contract and its handler. */
export interface Route {
  readonly event: string;
  /** The feature that serves it, for logs. */
  readonly feature: string;
  readonly schema: ClientEventSchema;
  readonly run: (ctx: HandlerContext, payload: unknown) => unknown;
  /** Signals only: replaces the `error` event for a refused signal (e.g. a move answered by a correction). */
  readonly onRefused?: ((ctx: HandlerContext, error: AppError) => void) | undefined;
}

interface Entry {
  readonly route: Route;
  readonly index: number;
  readonly payloadSchema: z.ZodType;
  readonly resultSchema: z.ZodType | null;
  readonly okCounter: CounterSeries;
  readonly duration: HistogramSeries;
}

export interface DispatcherDeps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  hooks: ExtensionHooks;
  /** Ends a socket's session (used when a socket floods far past its limits). */
  endSession: (socket: TavernSocket, reason: ErrorCode, message: string) => void;
  /** A span per event, or null (off). @default null */
  tracing?: Tracing | null;
  /** Where the per-user limits are shared; null: this node only. @default null */
  redis?: RedisConnections | null;
}

export interface Dispatcher {
  /** Install with `socket.onAny(dispatcher.listener)`. */
  readonly listener: (this: TavernSocket, event: unknown, ...args: unknown[]) => void;
  readonly events: readonly string[];
  /** Client events received so far (all outcomes), for events-per-second figures. */
  readonly received: () => number;
  /** Resolves when no handler is running (shutdown waits for this before closing Redis). */
  readonly idle: () => Promise<void>;
  /** Stops the per-user limits' reports. */
  readonly stop: () => void;
}

/**
 * One handler call's context. A class, not an object literal with a getter: a literal with an
 * accessor is built slowly on every event, and most handlers never log.
 */
class EventContext implements HandlerContext {
  readonly user: AuthUser;
  private child: Logger | undefined;
  /** Effects to run after a successful ack; made only by the handlers that defer one. */
  deferred: (() => void)[] | undefined;

  constructor(
    readonly socket: TavernSocket,
    private readonly event: string,
    private readonly parent: Logger,
  ) {
    this.user = socket.data.user;
  }

  get logger(): Logger {
    return (this.child ??= this.parent.child({ socketId: this.socket.id, userId: this.user.userId, event: this.event }));
  }

  afterAck(effect: () => void): void {
    (this.deferred ??= []).push(effect);
  }

  /** Runs the deferred effects; one that throws is logged and does not stop the others. */
  runDeferred(): void {
    for (const effect of this.deferred ?? []) {
      try {
        effect();
      } catch (error) {
        this.logger.error({ err: error }, 'an effect after the ack failed');
      }
    }
  }
}

export function createDispatcher(routes: readonly Route[], deps: DispatcherDeps): Dispatcher {
  const { config, logger, metrics, hooks } = deps;
  const table = new Map<string, Entry>();
  // Bucket 0 is the default rule: unknown events cost the sender from it, like any other event.
  const rules = [config.limits.rateLimits.default];
  const overrides = config.limits.rateLimits;
  for (const route of routes) {
    if (table.has(route.event)) throw new Error(`two handlers for ${route.event}`);
    const { schema } = route;
    table.set(route.event, {
      route,
      index: rules.length,
      payloadSchema: schema.payload,
      resultSchema: config.validateOutgoing && schema.kind === 'command' ? schema.result : null,
      okCounter: metrics.events.series({ event: route.event, outcome: 'ok' }),
      duration: metrics.handlerDuration.series({ event: route.event }),
    });
    rules.push((Object.hasOwn(overrides, route.event) ? overrides[route.event] : undefined) ?? schema.rateLimit ?? overrides.default);
  }
  const limiter = new RateLimiter(rules, config.limits.floodDisconnectFactor);
  const factor = config.limits.userRateFactor;
  const perUser = new DistributedLimiter({
    scope: 'user',
    redis: deps.redis ?? null,
    syncMs: config.limits.rateLimitSyncMs,
    logger,
    rules: rules.map((rule, index) => ({
      name: index === 0 ? 'default' : routes[index - 1]!.event,
      ratePerSec: rule.ratePerSec * factor,
      burst: Math.ceil(rule.burst * factor),
      credit: rule.burst,
    })),
  });
  const userRefused = metrics.capRefusals.labels('events_per_user');
  const ackOk = metrics.acks.series({ code: 'OK' });
  const maxDepth = config.limits.maxPayloadDepth;
  const debug = logger.isLevelEnabled('debug');
  const audits = hooks.audits;
  const tracing = deps.tracing ?? null;

  function contextFor(socket: TavernSocket, event: string): EventContext {
    return new EventContext(socket, event, logger);
  }

  function refuse(socket: TavernSocket, event: string, ack: AckFn | undefined, error: AppError, entry: Entry | undefined, span: EventSpan | undefined): void {
    metrics.events.labels(entry ? event : 'unknown', error.code).inc();
    if (ack) {
      metrics.acks.labels(error.code).inc();
      ack({ ok: false, error: error.toPayload() });
    } else if (entry?.route.onRefused) {
      entry.route.onRefused(contextFor(socket, event), error);
    } else {
      socket.emit('error', { code: error.code, message: error.message, event: event.slice(0, 64) });
    }
    if (span !== undefined) span.end(error.code);
  }

  function fail(socket: TavernSocket, event: string, ack: AckFn | undefined, entry: Entry, thrown: unknown, started: number, span: EventSpan | undefined): void {
    entry.duration.observe((performance.now() - started) / 1000);
    let error: AppError;
    if (thrown instanceof AppError) {
      error = thrown;
    } else {
      metrics.internalErrors.labels('handler').inc();
      logger.error({ err: thrown, event, socketId: socket.id, userId: socket.data.user.userId }, 'handler failed');
      error = new AppError(ErrorCode.INTERNAL, 'internal error');
    }
    refuse(socket, event, ack, error, entry, span);
  }

  function succeed(socket: TavernSocket, event: string, ack: AckFn | undefined, entry: Entry, data: unknown, started: number, span: EventSpan | undefined, ctx: EventContext): void {
    if (entry.resultSchema) {
      const checked = entry.resultSchema.safeParse(data);
      if (!checked.success) {
        fail(socket, event, ack, entry, new Error(`ack of ${event} does not match its schema: ${checked.error.message}`), started, span);
        return;
      }
    }
    const elapsed = performance.now() - started;
    entry.duration.observe(elapsed / 1000);
    entry.okCounter.inc();
    if (ack) {
      ackOk.inc();
      ack({ ok: true, data });
    }
    // Events the command causes for its sender go out after its ack (PROTOCOL.md's "then").
    if (ctx.deferred !== undefined) ctx.runDeferred();
    if (span !== undefined) span.end('OK');
    if (debug) logger.debug({ event, socketId: socket.id, ms: Math.round(elapsed * 100) / 100 }, 'handled');
  }

  function countRateLimited(label: string): void {
    metrics.rateLimited.labels(label).inc();
    metrics.events.labels(label, ErrorCode.RATE_LIMITED).inc();
  }

  function rateLimited(socket: TavernSocket, name: string, entry: Entry | undefined, ack: AckFn | undefined, retryAfterMs: number, span: EventSpan | undefined): void {
    countRateLimited(entry ? name : 'unknown');
    if (ack) {
      metrics.acks.labels(ErrorCode.RATE_LIMITED).inc();
      ack({ ok: false, error: { code: ErrorCode.RATE_LIMITED, message: `too many ${name.slice(0, 64)}`, retryAfterMs } satisfies ErrorPayload });
    } else {
      socket.emit('rate:limited', { event: name.slice(0, 64), retryAfterMs });
    }
    if (span !== undefined) span.end(ErrorCode.RATE_LIMITED);
  }

  let received = 0;
  let running = 0;
  let idleWaiters: (() => void)[] = [];
  function settled(): void {
    if (--running > 0 || idleWaiters.length === 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
  const listener = function (this: TavernSocket, event: unknown, ...args: unknown[]): void {
    received++;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- Socket.IO calls onAny listeners with the socket as `this`
    const socket = this;
    const last = args[args.length - 1];
    const ack = typeof last === 'function' ? (args.pop() as AckFn) : undefined;
    const name = typeof event === 'string' ? event : String(event);
    const entry = table.get(name);
    const data = socket.data;
    data.lastActivityAt = Date.now();
    // The argument after the payload may carry the client's trace context; read only when tracing.
    const span = tracing === null ? undefined : tracing.startEvent(entry ? name : 'unknown', name, socket.id, data.user.userId, args[1]);

    const index = entry ? entry.index : 0;
    const decision = limiter.take(data, index);
    if (decision !== 0) {
      if (decision === 2) {
        countRateLimited(entry ? name : 'unknown');
        metrics.floodDisconnects.inc();
        logger.warn({ event: name.slice(0, 64), socketId: socket.id, userId: data.user.userId, ip: data.ip }, 'socket flooded past its limits, disconnecting');
        deps.endSession(socket, ErrorCode.RATE_LIMITED, 'too many events: disconnected for flooding');
        if (span !== undefined) span.end(ErrorCode.RATE_LIMITED);
        return;
      }
      rateLimited(socket, name, entry, ack, limiter.retryAfterMs, span);
      return;
    }
    const userWait = perUser.take(data.user.userId, index);
    if (userWait !== 0) {
      userRefused.inc();
      // Pending: the user's credit on this node is spent until the report in flight is answered.
      rateLimited(socket, name, entry, ack, userWait === LIMIT_PENDING ? perUser.syncMs : userWait, span);
      return;
    }
    if (!entry) {
      // An event the running features do not serve, built-in or not: one answer for all.
      refuse(socket, name, ack, new AppError(ErrorCode.INVALID_PAYLOAD, `unknown event ${name.slice(0, 64)}`), undefined, span);
      return;
    }

    const payload = args[0];
    if (exceedsShape(payload, maxDepth)) {
      refuse(socket, name, ack, new AppError(ErrorCode.INVALID_PAYLOAD, `payload nests deeper than ${maxDepth} levels or is too large`), entry, span);
      return;
    }
    const parsed = entry.payloadSchema.safeParse(payload);
    if (!parsed.success) {
      refuse(socket, name, ack, fromZodError(parsed.error), entry, span);
      return;
    }

    if (audits) hooks.command({ event: name, userId: data.user.userId, socketId: socket.id, payload: parsed.data, at: data.lastActivityAt });
    const started = performance.now();
    let outcome: unknown;
    const ctx = contextFor(socket, name);
    try {
      outcome = span === undefined ? entry.route.run(ctx, parsed.data) : span.within(entry.route.run, entry.route, ctx, parsed.data);
    } catch (error) {
      fail(socket, name, ack, entry, error, started, span);
      return;
    }
    if (outcome instanceof Promise) {
      running++;
      // Two callbacks, no `.finally`: one promise less on every event.
      outcome.then(
        (value: unknown) => {
          try {
            succeed(socket, name, ack, entry, value, started, span, ctx);
          } finally {
            settled();
          }
        },
        (error: unknown) => {
          try {
            fail(socket, name, ack, entry, error, started, span);
          } finally {
            settled();
          }
        },
      );
    } else {
      succeed(socket, name, ack, entry, outcome, started, span, ctx);
    }
  };

  return {
    listener,
    events: [...table.keys()],
    received: () => received,
    idle: () => (running === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve))),
    stop: () => perUser.stop(),
  };
}
