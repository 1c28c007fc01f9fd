/**
 * The server's whole configuration as one typed object. `env.ts` builds it from the
 * environment; tests build it with `resolveConfig({...overrides})`.
 */

export interface RateLimitRule {
  /** Tokens added per second. */
  ratePerSec: number;
  /** Bucket size: how many events may arrive at once. */
  burst: number;
}

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
    /** Per-event token buckets; events not listed use `default`. */
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
  presence: {
    /** A user with no socket left is announced offline after this long. */
    graceMs: number;
    /** No client event for this long turns an online user away (0: never). */
    awayAfterMs: number;
    awayCheckMs: number;
  };
  world: {
    /** JSON file with the zones (see features/world/zones.ts), or null for the default set. */
    zonesFile: string | null;
    /** Snapshot interval: moves are batched into one `zone:snapshot` per zone per tick. */
    tickMs: number;
  };
  combat: {
    /** A player's turn resolves as `defend` after this long. */
    turnMs: number;
    /** How often each node looks for turns past their deadline. */
    sweepMs: number;
  };
  matchmaking: {
    /** Players per team and teams per match, by mode. */
    modes: Record<string, { teamSize: number; teams: number }>;
    /** How often the matcher runs (on the one node holding the lease). */
    tickMs: number;
    /** How often each searching player hears `matchmaking:status`. */
    statusIntervalMs: number;
    /** Rating difference accepted at first; widened by `widenBy` every `widenEveryMs`. */
    initialWindow: number;
    widenBy: number;
    widenEveryMs: number;
    /** A ticket not matched after this long expires. */
    expireAfterMs: number;
    /** The matcher lease: another node takes over this long after its holder stops renewing. */
    leaseMs: number;
  };
  chat: {
    /** Messages kept per channel. */
    retention: number;
    /** A whisper history expires this long after its last message. */
    dmTtlMs: number;
    /** The same content from the same sender in a channel within this window is refused. */
    duplicateWindowMs: number;
    /** How long `clientMsgId` is remembered for idempotent retries. */
    idempotencyMs: number;
    /** A typing indicator stops after this long without a refresh. */
    typingMs: number;
    /** Messages per second one channel accepts on one node (beyond each sender's own limit). */
    channelRatePerSec: number;
    /** Words masked with `*` in messages. */
    profanity: string[];
  };
}

export const DEFAULT_RATE_LIMITS: Config['limits']['rateLimits'] = {
  default: { ratePerSec: 20, burst: 40 },
  'chat:send': { ratePerSec: 5, burst: 10 },
  'chat:whisper': { ratePerSec: 5, burst: 10 },
  'character:move': { ratePerSec: 20, burst: 40 },
  'combat:action': { ratePerSec: 2, burst: 4 },
  'chat:typing': { ratePerSec: 2, burst: 4 },
};

export type ConfigOverrides = {
  [K in Exclude<keyof Config, 'limits'>]?: Config[K] extends unknown[] | string | number | boolean | null
    ? Config[K]
    : Config[K] extends object
      ? Partial<Config[K]>
      : Config[K];
} & {
  /** `rateLimits` entries are merged over the defaults, one event at a time. */
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
      rateLimits: DEFAULT_RATE_LIMITS,
      floodDisconnectFactor: 10,
      slowConsumerMaxBytes: 1024 * 1024,
      connectTimeoutMs: 10_000,
      pingIntervalMs: 25_000,
      pingTimeoutMs: 20_000,
    },
    shutdown: { timeoutMs: 10_000, reconnectAfterMs: 1_000, reconnectJitterMs: 4_000 },
    cluster: { heartbeatMs: 5_000, nodeTtlMs: 15_000 },
    validateOutgoing: true,
    presence: { graceMs: 10_000, awayAfterMs: 300_000, awayCheckMs: 30_000 },
    world: { zonesFile: null, tickMs: 100 },
    combat: { turnMs: 15_000, sweepMs: 250 },
    matchmaking: {
      modes: { duel: { teamSize: 1, teams: 2 }, '2v2': { teamSize: 2, teams: 2 }, ffa: { teamSize: 1, teams: 4 } },
      tickMs: 500,
      statusIntervalMs: 5_000,
      initialWindow: 100,
      widenBy: 100,
      widenEveryMs: 10_000,
      expireAfterMs: 120_000,
      leaseMs: 3_000,
    },
    chat: {
      retention: 1_000,
      dmTtlMs: 30 * 24 * 3600 * 1000,
      duplicateWindowMs: 30_000,
      idempotencyMs: 24 * 3600 * 1000,
      typingMs: 5_000,
      channelRatePerSec: 100,
      profanity: ['fuck', 'shit', 'bitch', 'asshole', 'cunt'],
    },
  };
  const merged = { ...base } as Record<string, unknown>;
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    const current = (base as unknown as Record<string, unknown>)[key];
    merged[key] = isPlainObject(current) && isPlainObject(value) ? { ...current, ...value } : value;
  }
  const config = merged as unknown as Config;
  if (overrides.limits?.rateLimits) {
    config.limits.rateLimits = { ...DEFAULT_RATE_LIMITS, ...overrides.limits.rateLimits };
  }
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
