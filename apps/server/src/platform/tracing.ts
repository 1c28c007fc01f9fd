/**
 * OpenTelemetry tracing, on only when an OTLP endpoint is configured: a span per handled
 * client event, whose parent is the client's W3C `traceparent` when one came with the event,
 * and a span per Redis store operation made under it. Spans are exported over OTLP/HTTP
 * (JSON) in batches, from a bounded queue, and flushed by `shutdown()`.
 *
 * With tracing off `createTracing` returns null without loading any OpenTelemetry module, and
 * the dispatcher and the Redis funnel test that null: no span, closure or context lookup.
 *
 * A client passes its trace context as an optional argument after the payload (Socket.IO
 * events have no headers): `emit(event, payload, { traceparent, tracestate? }, ack)`. Anything
 * else there is ignored, and a malformed `traceparent` only means the span starts a new trace.
 */
import type { Context, ContextAPI, Span, TextMapPropagator, TraceAPI } from '@opentelemetry/api';
import type { ExportResult, ExportResultCode } from '@opentelemetry/core';
import type * as Sdk from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type * as Semconv from '@opentelemetry/semantic-conventions';
import { parseRedisUrl, type RedisClient } from './redis.js';
import type { Logger } from './logger.js';

/** What tracing needs of the server's `config.tracing` (documented there). */
export interface TracingSettings {
  endpoint: string;
  headers: Record<string, string>;
  serviceName: string;
  /** A standard `OTEL_TRACES_SAMPLER` name. */
  sampler: string;
  sampleRatio: number;
  exportDelayMs: number;
}

/** Span attributes of a client event. */
export const EventAttributes = {
  event: 'tavern.event',
  /** `OK` or the error code of the ack (or of the `error` event, for a signal). */
  outcome: 'tavern.outcome',
  socketId: 'tavern.socket.id',
  userId: 'user.id',
} as const;

/** The span of one client event, ended once with its outcome. */
export interface EventSpan {
  /** Calls `fn.call(self, ...args)` with this span active: spans made inside are its children. */
  within<A extends unknown[], R>(fn: (...args: A) => R, self: unknown, ...args: A): R;
  /** `outcome`: `OK` or the error code sent back. Server faults (`INTERNAL`, `UNAVAILABLE`) mark the span as an error. */
  end(outcome: string): void;
}

/** Spans around one Redis store operation; null where tracing is off. */
export interface RedisTracer {
  /** Runs `operation(client)` in a span when an event span is active (store work outside an event is not traced). */
  run<T>(operation: (client: RedisClient) => Promise<T>, client: RedisClient): Promise<T>;
}

export interface Tracing {
  /**
   * Starts the span of a client event, named `name` (the event, or `unknown` for an event no
   * feature serves). `carrier` is the argument after the payload, whatever the client sent.
   */
  startEvent(name: string, event: string, socketId: string, userId: string, carrier: unknown): EventSpan;
  /** Spans for the Redis server at `url` (only its host, port and database are recorded). */
  redis(url: string): RedisTracer;
  /** Exports what is queued and stops. Bounded by the export timeout. */
  shutdown(): Promise<void>;
}

/** An export that takes longer is abandoned (spans dropped, logged); shutdown waits at most this long. */
const EXPORT_TIMEOUT_MS = 5_000;
/** Spans kept while the collector is slow or down; more are dropped, so memory stays bounded. */
const MAX_QUEUED_SPANS = 4_096;
/** W3C trace context header sizes: a traceparent is 55 characters today, a tracestate at most 512. */
const MAX_TRACEPARENT = 128;
const MAX_TRACESTATE = 512;
/** Codes that mean the server failed, not the client. */
const SERVER_FAULTS = new Set(['INTERNAL', 'UNAVAILABLE']);

/**
 * The tracing `config` asks for, or null when it is off. The OpenTelemetry SDK is imported
 * here, on first use, so a server without tracing never loads it.
 */
export async function createTracing(config: TracingSettings | null, nodeId: string, logger: Logger): Promise<Tracing | null> {
  if (config === null) return null;
  const [api, core, contextHooks, resources, sdk, otlp, semconv] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/core'),
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/semantic-conventions'),
  ]);

  // Spans made under an event (Redis, the studio's own instrumentation) find their parent
  // through the active context, which needs a context manager that follows async calls. One
  // the application registered already is kept.
  const manager = new contextHooks.AsyncLocalStorageContextManager().enable();
  if (!api.context.setGlobalContextManager(manager)) manager.disable();

  const exporter = new otlp.OTLPTraceExporter({
    url: `${config.endpoint.replace(/\/+$/, '')}/v1/traces`,
    headers: config.headers,
    timeoutMillis: EXPORT_TIMEOUT_MS,
  });
  const provider = new sdk.BasicTracerProvider({
    resource: resources.resourceFromAttributes({
      [semconv.ATTR_SERVICE_NAME]: config.serviceName,
      [semconv.ATTR_SERVICE_INSTANCE_ID]: nodeId,
    }),
    sampler: sampler(sdk, config),
    spanProcessors: [
      new sdk.BatchSpanProcessor(loggingFailures(exporter, logger, core.ExportResultCode.SUCCESS), {
        scheduledDelayMillis: config.exportDelayMs,
        exportTimeoutMillis: EXPORT_TIMEOUT_MS,
        maxQueueSize: MAX_QUEUED_SPANS,
        maxExportBatchSize: 512,
      }),
    ],
  });
  // Not registered as the global provider: a studio's own provider, if any, stays in charge of its spans.
  const tracer = provider.getTracer('@tavern/server');
  const propagator = new core.W3CTraceContextPropagator();
  const { ROOT_CONTEXT, SpanKind, SpanStatusCode } = api;

  class OtelEventSpan implements EventSpan {
    constructor(private readonly span: Span) {}

    within<A extends unknown[], R>(fn: (...args: A) => R, self: unknown, ...args: A): R {
      return api.context.with(api.trace.setSpan(ROOT_CONTEXT, this.span), fn, self, ...args);
    }

    end(outcome: string): void {
      this.span.setAttribute(EventAttributes.outcome, outcome);
      if (SERVER_FAULTS.has(outcome)) this.span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
      this.span.end();
    }
  }

  let closed: Promise<void> | null = null;
  return {
    startEvent(name, event, socketId, userId, carrier) {
      const span = tracer.startSpan(
        name,
        {
          kind: SpanKind.SERVER,
          attributes: { [EventAttributes.event]: event.slice(0, 64), [EventAttributes.socketId]: socketId, [EventAttributes.userId]: userId },
        },
        parentContext(propagator, api.trace, carrier, ROOT_CONTEXT),
      );
      return new OtelEventSpan(span);
    },
    redis(url) {
      const attributes = redisAttributes(url, semconv);
      return {
        async run(operation, client) {
          const parent = activeEventContext(api.context, api.trace);
          if (parent === null) return operation(client);
          const span = tracer.startSpan('redis', { kind: SpanKind.CLIENT, attributes }, parent);
          try {
            return await operation(client);
          } catch (error) {
            span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
            throw error;
          } finally {
            span.end();
          }
        },
      };
    },
    shutdown() {
      closed ??= provider.shutdown().catch((error: unknown) => logger.warn({ err: error }, 'tracing: final export failed'));
      return closed;
    },
  };
}

/** The context whose span is the client's, or the root when the client sent none (or a malformed one). */
function parentContext(propagator: TextMapPropagator, traceApi: TraceAPI, carrier: unknown, root: Context): Context {
  if (typeof carrier !== 'object' || carrier === null) return root;
  const { traceparent, tracestate } = carrier as { traceparent?: unknown; tracestate?: unknown };
  if (typeof traceparent !== 'string' || traceparent.length > MAX_TRACEPARENT) return root;
  // A fresh object holding only strings: the propagator never sees what else the client sent.
  const headers: Record<string, string> = { traceparent };
  if (typeof tracestate === 'string' && tracestate.length <= MAX_TRACESTATE) headers['tracestate'] = tracestate;
  const extracted = propagator.extract(root, headers, {
    get: (source: Record<string, string>, key: string) => source[key],
    keys: (source: Record<string, string>) => Object.keys(source),
  });
  const remote = traceApi.getSpanContext(extracted);
  return remote && traceApi.isSpanContextValid(remote) ? extracted : root;
}

/** The active context when it holds a span (Tavern's event span, or the studio's own), else null. */
function activeEventContext(contextApi: ContextAPI, traceApi: TraceAPI): Context | null {
  const active = contextApi.active();
  return traceApi.getSpan(active) === undefined ? null : active;
}

function sampler(sdk: typeof Sdk, config: TracingSettings): Sdk.Sampler {
  const ratio = new sdk.TraceIdRatioBasedSampler(config.sampleRatio);
  switch (config.sampler) {
    case 'always_on':
      return new sdk.AlwaysOnSampler();
    case 'always_off':
      return new sdk.AlwaysOffSampler();
    case 'traceidratio':
      return ratio;
    case 'parentbased_always_on':
      return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new sdk.ParentBasedSampler({ root: ratio });
    default:
      throw new Error(`unknown sampler ${config.sampler}`);
  }
}

function redisAttributes(url: string, semconv: typeof Semconv): Record<string, string | number> {
  // A cluster is recorded by its first seed node (the span does not know which master answered).
  const { nodes, db } = parseRedisUrl(url);
  return {
    [semconv.ATTR_DB_SYSTEM_NAME]: 'redis',
    [semconv.ATTR_SERVER_ADDRESS]: nodes[0]?.host ?? '',
    [semconv.ATTR_SERVER_PORT]: nodes[0]?.port ?? 6379,
    [semconv.ATTR_DB_NAMESPACE]: String(Number.isInteger(db) ? db : 0),
  };
}

/** The exporter, logging failed exports (at most one line per 30 s: a collector that is down must not flood the log). */
function loggingFailures(exporter: SpanExporter, logger: Logger, success: ExportResultCode): SpanExporter {
  let lastLogAt = 0;
  return {
    export(spans: ReadableSpan[], done: (result: ExportResult) => void) {
      exporter.export(spans, (result) => {
        if (result.code !== success && Date.now() - lastLogAt > 30_000) {
          lastLogAt = Date.now();
          logger.warn({ err: result.error, spans: spans.length }, 'tracing: spans could not be exported to the OTLP endpoint');
        }
        done(result);
      });
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
}
