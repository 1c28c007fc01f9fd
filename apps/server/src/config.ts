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
  redis: { url: string; keyPrefix: string } | null;
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
     * Per-event token buckets that replace the event's own (declared on its definition);
     * `default` is the bucket of events that declare none.
     */
    rateLimits: Record<string, RateLimitRule> & { default: RateLimitRule };
    /** A socket refused this many times over its allowance (per second of rate) is disconnected. */
    floodDisconnectFactor: number;
    slowConsumerMaxBytes: number;
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
      rateLimits: { default: DEFAULT_RATE_LIMIT },
      floodDisconnectFactor: 10,
      slowConsumerMaxBytes: 1024 * 1024,
      connectTimeoutMs: 10_000,
      pingIntervalMs: 25_000,
      pingTimeoutMs: 20_000,
    },
    shutdown: { timeoutMs: 10_000, reconnectAfterMs: 1_000, reconnectJitterMs: 4_000 },
    cluster: { heartbeatMs: 5_000, nodeTtlMs: 15_000 },
    validateOutgoing: true,
    hooks: { connect: null, message: null, command: null },
    features: {},
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

/** Dev mode: a fresh random HS256 secret that lives as long as the process. */
export function devJwtConfig(): JwtConfig {
  return { kind: 'dev', secret: randomSecret() };
}

function randomSecret(): string {
  const bytes = new Uint8Array(32);
  crypto.getRandomValues(bytes);
  return Buffer.from(bytes).toString('base64url');
}
