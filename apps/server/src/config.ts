/**
 * The server's whole configuration as one typed object. `env.ts` builds it from the
 * environment; tests build it with `resolveConfig({...overrides})`.
 */

import type { RateLimitRule } from '@tavern/protocol';
import type { HttpHooksConfig } from './hooks/hooks.js';

export type { RateLimitRule };

export type JwtConfig =
  | { kind: 'secret'; secret: string }
  | { kind: 'publicKey'; pem: string }
  | { kind: 'jwks'; url: string }
  /** Dev mode: an ephemeral secret made at start-up, plus `POST /dev/token`. */
  | { kind: 'dev'; secret: string };

/** The standard OTel sampler names (`OTEL_TRACES_SAMPLER`); `parentbased_*` follow a client's sampled flag. */
export const TRACING_SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
export type TracingSampler = (typeof TRACING_SAMPLERS)[number];

export interface TracingConfig {
  /** The collector's OTLP/HTTP base URL (`OTEL_EXPORTER_OTLP_ENDPOINT`); spans are POSTed to `<endpoint>/v1/traces`. */
  endpoint: string;
  /** Sent with every export (an API key for a hosted backend). */
  headers: Record<string, string>;
  /** The `service.name` resource attribute. @default 'tavern' */
  serviceName: string;
  /** @default 'parentbased_always_on' */
  sampler: TracingSampler;
  /** The share of traces kept by the `*traceidratio` samplers, 0 to 1. @default 1 */
  sampleRatio: number;
  /** Ended spans wait at most this long before they are exported in a batch. @default 5000 */
  exportDelayMs: number;
}

export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  host: string;
  port: number;
  /** Identifies this process among the nodes of a cluster. */
  nodeId: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  corsOrigins: string[] | '*';
  /** Addresses (or `loopback`, CIDRs) of proxies whose X-Forwarded-For is trusted. */
  trustProxy: string[];
  /** Folder of static files served at `/` (the demo page), or null. */
  staticDir: string | null;
  /**
   * Redis for a cluster, or null: one node in memory. Start-up waits `startupWaitMs` (5000)
   * for it; then a node starts degraded, or with `required` fails (see platform/redis.ts).
   * Its health is checked every `healthCheckMs` (1000).
   */
  redis: { url: string; keyPrefix: string; startupWaitMs?: number; required?: boolean; healthCheckMs?: number } | null;
  auth: {
    jwt: JwtConfig;
    issuer?: string;
    audience?: string;
    allowQueryToken: boolean;
    /** `auth:expiring` is sent this long before the token expires. */
    expiryWarningMs: number;
    clockToleranceSec: number;
    /** Grace period during which a dropped session can be resumed (`recovered: true`). */
    sessionResumeMs: number;
  };
  limits: {
    maxMessageBytes: number;
    maxPayloadDepth: number;
    maxRoomsPerSocket: number;
    maxSocketsPerUser: number;
    handshakesPerIp: number;
    handshakeWindowMs: number;
    /**
     * New Engine.IO sessions per client address (a token bucket), counted before any
     * handshake; the polls and the upgrade of an open session are not new sessions.
     * @default { ratePerSec: 5, burst: 60 }
     */
    engineOpensPerIp: RateLimitRule;
    /**
     * Engine.IO sessions per client address that are open but have not completed the
     * authenticated Socket.IO connect. @default 50
     */
    enginePendingPerIp: number;
    /**
     * Per-event token buckets that replace the event's own (declared on its definition);
     * `default` is the bucket of events that declare none.
     */
    rateLimits: Record<string, RateLimitRule> & { default: RateLimitRule };
    /** A socket refused this many times over its allowance (per second of rate) is disconnected. */
    floodDisconnectFactor: number;
    /**
     * Each event's bucket per user, across all of a user's sockets on all nodes, is its
     * per-socket bucket (`rateLimits`) times this, rate and burst (on top of the per-socket one).
     * @default 2
     */
    userRateFactor: number;
    /**
     * How often a node reports the tokens it spent of the cluster-wide limits (handshakes per IP,
     * events per user, messages per channel) to Redis (see transport/distributed-limiter.ts).
     * @default 100
     */
    rateLimitSyncMs: number;
    slowConsumerMaxBytes: number;
    /**
     * An Engine.IO session that has not completed the authenticated Socket.IO connect by then
     * is closed, whatever its transport. @default 10000
     */
    connectTimeoutMs: number;
    pingIntervalMs: number;
    pingTimeoutMs: number;
  };
  shutdown: { timeoutMs: number; reconnectAfterMs: number; reconnectJitterMs: number };
  cluster: { heartbeatMs: number; nodeTtlMs: number };
  /** Validate outgoing server events against their schemas (off in production for speed). */
  validateOutgoing: boolean;
  /** The studio's hooks over HTTP (in-process hooks are given to `createRealtimeServer`). */
  hooks: HttpHooksConfig;
  /**
   * Settings of features by feature name, over their defaults and the environment (tests and
   * embedders; `feature.with({...})` is the typed way). Each feature validates its own.
   */
  features: Record<string, Record<string, unknown>>;
  /**
   * OpenTelemetry tracing (spans per client event and per Redis operation, exported over
   * OTLP/HTTP), or null: off, and the per-event path makes no span.
   */
  tracing: TracingConfig | null;
}

/** The bucket of an event that declares no rate limit of its own (events declare theirs on their definition). */
export const DEFAULT_RATE_LIMIT: RateLimitRule = { ratePerSec: 20, burst: 40 };

export type ConfigOverrides = {
  [K in Exclude<keyof Config, 'limits'>]?: Config[K] extends unknown[] | string | number | boolean | null
    ? Config[K]
    : Config[K] extends object
      ? Partial<Config[K]>
      : Config[K];
} & {
  /** `rateLimits` entries replace single events' buckets (or `default`). */
  limits?: Partial<Omit<Config['limits'], 'rateLimits'>> & { rateLimits?: Record<string, RateLimitRule> };
};

/** Defaults for everything; `overrides` replace single fields of each section. */
export function resolveConfig(overrides: ConfigOverrides = {}): Config {
  const base: Config = {
    nodeEnv: 'development',
    host: '127.0.0.1',
    port: 3001,
    nodeId: `node-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
    logLevel: 'info',
    corsOrigins: '*',
    trustProxy: [],
    staticDir: null,
    redis: null,
    auth: {
      jwt: devJwtConfig(),
      allowQueryToken: false,
      expiryWarningMs: 60_000,
      clockToleranceSec: 5,
      sessionResumeMs: 120_000,
    },
    limits: {
      maxMessageBytes: 64 * 1024,
      maxPayloadDepth: 32,
      maxRoomsPerSocket: 128,
      maxSocketsPerUser: 10,
      handshakesPerIp: 30,
      handshakeWindowMs: 10_000,
      // Players behind one NAT (an office, a campus, a LAN party, a mobile carrier's NAT) share
      // an address, and come back together after a node restarts (within the 5 s of the
      // shutdown's reconnect jitter). Each connection opens one session, which waits for its
      // handshake for milliseconds. The burst is twice the handshake limit, so such a crowd meets
      // the handshake's RATE_LIMITED (with retryAfterMs) first; 50 waiting sessions is a crowd
      // whose authentication is slow (a JWKS fetch, a connect hook). One address can then hold
      // at most 50 idle sessions, each for the connect timeout. Behind a load balancer these
      // count the balancer's address unless TRUST_PROXY names it.
      engineOpensPerIp: { ratePerSec: 5, burst: 60 },
      enginePendingPerIp: 50,
      rateLimits: { default: DEFAULT_RATE_LIMIT },
      floodDisconnectFactor: 10,
      // Two busy tabs of one user fit; ten sockets no longer get ten times the rate.
      userRateFactor: 2,
      rateLimitSyncMs: 100,
      slowConsumerMaxBytes: 1024 * 1024,
      // A handshake that takes longer than this is not a player (Socket.IO's default is 45 s).
      connectTimeoutMs: 10_000,
      pingIntervalMs: 25_000,
      pingTimeoutMs: 20_000,
    },
    shutdown: { timeoutMs: 10_000, reconnectAfterMs: 1_000, reconnectJitterMs: 4_000 },
    cluster: { heartbeatMs: 5_000, nodeTtlMs: 15_000 },
    validateOutgoing: true,
    hooks: { connect: null, message: null, command: null },
    features: {},
    tracing: null,
  };
  const merged = { ...base } as Record<string, unknown>;
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    const current = (base as unknown as Record<string, unknown>)[key];
    merged[key] = isPlainObject(current) && isPlainObject(value) ? { ...current, ...value } : value;
  }
  const config = merged as unknown as Config;
  config.limits.rateLimits = { default: DEFAULT_RATE_LIMIT, ...overrides.limits?.rateLimits };
  return config;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Tracing to the collector at `endpoint`, the other fields at their defaults.
 *
 * @example
 * resolveConfig({ tracing: tracingTo('http://127.0.0.1:4318', { sampler: 'parentbased_traceidratio', sampleRatio: 0.1 }) });
 */
export function tracingTo(endpoint: string, overrides: Partial<Omit<TracingConfig, 'endpoint'>> = {}): TracingConfig {
  return { endpoint, headers: {}, serviceName: 'tavern', sampler: 'parentbased_always_on', sampleRatio: 1, exportDelayMs: 5_000, ...overrides };
}

/** Dev mode: a fresh random HS256 secret that lives as long as the process. */
export function devJwtConfig(): JwtConfig {
  return { kind: 'dev', secret: randomSecret() };
}

function randomSecret(): string {
  const bytes = new Uint8Array(32);
  crypto.getRandomValues(bytes);
  return Buffer.from(bytes).toString('base64url');
}
