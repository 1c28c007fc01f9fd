/**
 * The only file that reads `process.env`. Every variable, the server's own and those the
 * running features declare in their settings, is validated here and documented in
 * `.env.example`; a bad value stops start-up with a message naming the variable.
 * `FEATURES` picks what the server runs: a preset (`chat`, `lobby`, `poker`, `mmorpg`, the
 * default) or a comma-separated list of built-in feature names.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import proxyAddr from 'proxy-addr';
import { z } from 'zod';
import { devJwtConfig, resolveConfig, TRACING_SAMPLERS, tracingTo, type Config, type JwtConfig } from './config.js';
import type { AnyFeature } from './features/feature.js';
import { parseRedisUrl } from './platform/redis.js';
import { envBool, envInt, resolveSettings, settingsFromEnv, SettingsError } from './platform/settings.js';
import { resolveFeatures } from './presets.js';

const bool = envBool;
const int = envInt;
const list = z
  .string()
  .transform((value) => value.split(',').map((item) => item.trim()).filter(Boolean));
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });

/** Proxies as proxy-addr compiles them at start-up, so a bad entry is named here rather than thrown there. */
const trustedProxies = list.superRefine((entries, ctx) => {
  try {
    proxyAddr.compile(entries);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `${(error as Error).message} (expected addresses, CIDRs, or loopback, linklocal, uniquelocal)` });
  }
});

/** `*`, or origins as browsers send them (`https://game.example.com`, no path, no trailing slash). */
const corsOrigins = z.string().transform((value, ctx): string[] | '*' => {
  if (value.trim() === '*') return '*';
  const origins = value.split(',').map((item) => item.trim()).filter(Boolean);
  for (const origin of origins) {
    if (!isOrigin(origin)) ctx.addIssue({ code: 'custom', message: `${origin} is not an origin like https://game.example.com (scheme, host, port; no path), or *` });
  }
  return origins;
});

function isOrigin(text: string): boolean {
  try {
    return new URL(text).origin === text;
  } catch {
    return false;
  }
}

/** Why `pem` cannot verify RS256 or ES256 tokens, or null when it can. */
function publicKeyProblem(pem: string): string | null {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    return 'not a PEM public key (-----BEGIN PUBLIC KEY----- ...; "\\n" escapes allowed)';
  }
  if (key.asymmetricKeyType === 'rsa') return null;
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return null;
  const kind = key.asymmetricKeyType === 'ec' ? `an EC ${key.asymmetricKeyDetails?.namedCurve ?? ''} key` : `an ${key.asymmetricKeyType ?? 'unknown'} key`;
  return `${kind}: expected RSA (RS256) or EC P-256 (ES256)`;
}

/** A public key given inline: the PEM text, checked by importing it. */
const publicKeyPem = z
  .string()
  .min(1)
  .transform((value, ctx) => {
    const pem = value.replace(/\\n/g, '\n');
    const problem = publicKeyProblem(pem);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
    return pem;
  });

/** A public key in a file: the file's PEM text, checked by importing it. */
const publicKeyFile = z
  .string()
  .min(1)
  .transform((path, ctx) => {
    let pem: string;
    try {
      pem = readFileSync(path, 'utf8');
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})` });
      return z.NEVER;
    }
    const problem = publicKeyProblem(pem);
    if (problem) ctx.addIssue({ code: 'custom', message: `${path}: ${problem}` });
    return pem;
  });

const RateLimitOverrides = z.record(
  z.string(),
  z.object({ ratePerSec: z.number().positive(), burst: z.number().int().positive() }),
);

/** `key=value,key2=value2`, values percent-encoded (the OTLP exporter's header format). */
const otlpHeaders = z.string().transform((value, ctx) => {
  const headers: Record<string, string> = {};
  for (const pair of value.split(',').filter((item) => item.trim())) {
    const at = pair.indexOf('=');
    const key = pair.slice(0, at).trim();
    if (at < 1 || !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(key)) {
      ctx.addIssue({ code: 'custom', message: `expected key=value pairs separated by commas, got "${pair.trim().slice(0, 40)}"` });
      return z.NEVER;
    }
    try {
      headers[key] = decodeURIComponent(pair.slice(at + 1).trim());
    } catch {
      ctx.addIssue({ code: 'custom', message: `the value of ${key} is not valid percent-encoding` });
      return z.NEVER;
    }
  }
  return headers;
});

const EnvSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    FEATURES: z.string().min(1).default('mmorpg'),
    HOST: z.string().min(1).default('127.0.0.1'),
    PORT: int(0, 65535).default(3001),
    NODE_ID: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Unset: pretty when NODE_ENV=development and stdout is a terminal, else json (main.ts decides). */
    LOG_FORMAT: z.enum(['pretty', 'json']).optional(),
    JWT_SECRET: z.string().min(32, 'JWT_SECRET must be at least 32 characters').optional(),
    /** After parsing: the PEM text, imported once to check it. */
    JWT_PUBLIC_KEY: publicKeyPem.optional(),
    /** After parsing: the file's PEM text, imported once to check it. */
    JWT_PUBLIC_KEY_FILE: publicKeyFile.optional(),
    JWKS_URL: httpUrl.optional(),
    JWT_ISSUER: z.string().min(1).optional(),
    JWT_AUDIENCE: z.string().min(1).optional(),
    AUTH_ALLOW_QUERY_TOKEN: bool.default(false),
    AUTH_EXPIRY_WARNING_MS: int(1_000, 3_600_000).default(60_000),
    CORS_ORIGINS: corsOrigins.default('*'),
    TRUST_PROXY: trustedProxies.default([]),
    STATIC_DIR: z
      .string()
      .min(1)
      .superRefine((dir, ctx) => {
        try {
          if (!statSync(dir).isDirectory()) ctx.addIssue({ code: 'custom', message: `${dir} is not a directory` });
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: `cannot read ${dir} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})` });
        }
      })
      .optional(),
    REDIS_URL: z
      .string()
      .superRefine((url, ctx) => {
        if (!/^rediss?(\+cluster)?:\/\//.test(url)) {
          ctx.addIssue({ code: 'custom', message: 'REDIS_URL must start with redis://, rediss://, redis+cluster:// or rediss+cluster://' });
          return;
        }
        try {
          parseRedisUrl(url);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: `REDIS_URL is not a valid URL (${(error as Error).message})` });
        }
      })
      .optional(),
    REDIS_KEY_PREFIX: z.string().regex(/^[A-Za-z0-9_.:-]{1,32}$/).default('tavern:'),
    REDIS_REQUIRED: bool.default(false),
    REDIS_STARTUP_WAIT_MS: int(0, 600_000).default(5_000),
    NODE_HEARTBEAT_MS: int(100, 60_000).default(5_000),
    NODE_TTL_MS: int(300, 600_000).default(15_000),
    MAX_MESSAGE_BYTES: int(1_024, 16 * 1024 * 1024).default(64 * 1024),
    MAX_PAYLOAD_DEPTH: int(2, 256).default(32),
    MAX_ROOMS_PER_SOCKET: int(1, 10_000).default(128),
    MAX_SOCKETS_PER_USER: int(1, 1_000).default(10),
    HANDSHAKES_PER_IP: int(1, 100_000).default(30),
    HANDSHAKE_WINDOW_MS: int(100, 3_600_000).default(10_000),
    ENGINE_OPENS_PER_IP_PER_SEC: int(1, 100_000).default(5),
    ENGINE_OPENS_BURST_PER_IP: int(1, 100_000).default(60),
    ENGINE_PENDING_PER_IP: int(1, 100_000).default(50),
    CONNECT_TIMEOUT_MS: int(1_000, 120_000).default(10_000),
    RATE_LIMITS: z
      .string()
      .transform((value, ctx) => {
        try {
          return JSON.parse(value) as unknown;
        } catch {
          ctx.addIssue({ code: 'custom', message: 'RATE_LIMITS must be JSON like {"chat:send":{"ratePerSec":5,"burst":10}}' });
          return z.NEVER;
        }
      })
      .pipe(RateLimitOverrides)
      .optional(),
    RATE_LIMIT_USER_FACTOR: z.coerce.number({ error: 'must be a number from 1 to 1000' }).min(1).max(1_000).default(2),
    RATE_LIMIT_SYNC_MS: int(10, 10_000).default(100),
    SLOW_CONSUMER_MAX_BYTES: int(16 * 1024, 1024 * 1024 * 1024).default(1024 * 1024),
    SHUTDOWN_TIMEOUT_MS: int(1_000, 120_000).default(10_000),
    HOOK_CONNECT_URL: httpUrl.optional(),
    HOOK_CONNECT_FAIL: z.enum(['open', 'closed']).default('closed'),
    HOOK_MESSAGE_URL: httpUrl.optional(),
    HOOK_MESSAGE_FAIL: z.enum(['open', 'closed']).default('closed'),
    HOOK_COMMAND_URL: httpUrl.optional(),
    HOOK_TIMEOUT_MS: int(10, 60_000).default(1_000),
    SESSION_RESUME_MS: int(0, 3_600_000).default(120_000),
    // OpenTelemetry, by the standard names: tracing is on when the endpoint is set.
    OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be the http:// or https:// URL of an OTLP/HTTP collector' }).optional(),
    OTEL_EXPORTER_OTLP_HEADERS: otlpHeaders.optional(),
    OTEL_SERVICE_NAME: z.string().min(1).max(256).default('tavern'),
    OTEL_TRACES_SAMPLER: z.enum(TRACING_SAMPLERS).default('parentbased_always_on'),
    OTEL_TRACES_SAMPLER_ARG: z.coerce.number({ error: 'must be a number from 0 to 1' }).min(0).max(1).default(1),
    OTEL_BSP_SCHEDULE_DELAY: int(10, 600_000).default(5_000),
  })
  .superRefine((env, ctx) => {
    const configured = [env.JWT_SECRET, env.JWT_PUBLIC_KEY ?? env.JWT_PUBLIC_KEY_FILE, env.JWKS_URL].filter(Boolean).length;
    if (env.JWT_PUBLIC_KEY && env.JWT_PUBLIC_KEY_FILE) {
      ctx.addIssue({ code: 'custom', path: ['JWT_PUBLIC_KEY'], message: 'set JWT_PUBLIC_KEY or JWT_PUBLIC_KEY_FILE, not both' });
    }
    if (configured > 1) {
      ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'set only one of JWT_SECRET, JWT_PUBLIC_KEY(_FILE), JWKS_URL' });
    }
    if (env.NODE_TTL_MS <= env.NODE_HEARTBEAT_MS) {
      ctx.addIssue({ code: 'custom', path: ['NODE_TTL_MS'], message: `must be longer than NODE_HEARTBEAT_MS (${env.NODE_HEARTBEAT_MS}), or a live node looks dead between two heartbeats` });
    }
    if (configured === 0 && env.NODE_ENV === 'production') {
      ctx.addIssue({
        code: 'custom',
        path: ['JWT_SECRET'],
        message: 'production needs JWT_SECRET, JWT_PUBLIC_KEY(_FILE) or JWKS_URL (dev mode is refused in production)',
      });
    }
  });

export type Env = z.infer<typeof EnvSchema>;

/** Bad settings, one line each, naming the variable. Its message is that line, or a list under one heading. */
export class EnvError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.length === 1 ? (problems[0] ?? '') : `invalid environment:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'EnvError';
  }
}

/**
 * Loads `.env` from the working directory into `target`, under the variables already set:
 * the real environment wins. Parsed by Node's own parser (`util.parseEnv`, the one behind
 * `--env-file` and `process.loadEnvFile`), so no dependency; but that parser turns a line
 * that is not `NAME=value` into garbage without a word, so each line is checked first and a
 * malformed one is an `EnvError` naming the file and line (its content is not echoed: it may
 * hold a secret). A missing file is fine. Skipped when the real `NODE_ENV` is `test`, so a
 * developer's `.env` never leaks into test runs (as Next.js does).
 *
 * @returns the file and the names it set, or null when nothing was loaded.
 */
export function loadDotEnv(target: NodeJS.ProcessEnv = process.env, path = resolve('.env')): { path: string; names: string[] } | null {
  if (target['NODE_ENV'] === 'test') return null;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    throw new EnvError([`${path}: cannot read it (${code ?? (error as Error).message})`]);
  }
  const problem = dotEnvProblem(text);
  if (problem) throw new EnvError([`${path}:${problem}`]);
  const names: string[] = [];
  for (const [name, value] of Object.entries(parseEnv(text))) {
    if (name in target || value === undefined) continue;
    target[name] = value;
    names.push(name);
  }
  return { path, names };
}

const DOTENV_LINE = /^\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=(.*)$/;

/** `<line>: <what is wrong>` for the first line of a `.env` text that is not `NAME=value`, a comment or blank; or null. */
function dotEnvProblem(text: string): string | null {
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? '';
    if (/^\s*(#|$)/.test(line)) continue;
    const value = DOTENV_LINE.exec(line)?.[1]?.trimStart();
    if (value === undefined) return `${index + 1}: expected NAME=value, a # comment or a blank line`;
    const quote = value[0];
    if (quote !== '"' && quote !== "'" && quote !== '`') continue;
    // A quoted value may span lines, up to its closing quote.
    const opened = index;
    let rest = value.slice(1);
    while (!rest.includes(quote)) {
      index++;
      if (index >= lines.length) return `${opened + 1}: the value's opening ${quote} is never closed`;
      rest = lines[index] ?? '';
    }
  }
  return null;
}

/** The server's own variables, for the `.env.example` check. */
export const serverEnvNames: readonly string[] = Object.keys(EnvSchema.shape);

/** What the server runs, from the environment: its configuration and its features. */
export interface Environment {
  config: Config;
  features: readonly AnyFeature[];
  /** `LOG_FORMAT`, or null when unset (the default depends on the terminal: see platform/logger.ts). */
  logFormat: 'pretty' | 'json' | null;
}

/** Parses an environment (default: `process.env`) into a `Config` and features, or throws `EnvError`. */
export function loadEnvironment(source: NodeJS.ProcessEnv = process.env): Environment {
  const features = (() => {
    try {
      return resolveFeatures(source['FEATURES'] || 'mmorpg');
    } catch (error) {
      throw new EnvError([`FEATURES: ${(error as Error).message}`]);
    }
  })();
  const { config, env } = parse(source, features);
  return { config, features, logFormat: env.LOG_FORMAT ?? null };
}

/** Parses an environment into a `Config` for `features`, or throws `EnvError`. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env, features: readonly AnyFeature[] = []): Config {
  return parse(source, features).config;
}

function parse(source: NodeJS.ProcessEnv, features: readonly AnyFeature[]): { config: Config; env: Env } {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = EnvSchema.safeParse(cleaned);
  // The server's problems and the features' are reported together.
  const problems = parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.') || 'environment'}: ${issue.message}`);
  const settings: Config['features'] = {};
  const claimed = new Map<string, string>(serverEnvNames.map((name) => [name, 'the server']));
  for (const feature of features) {
    for (const name of Object.keys(feature.settings?.env ?? {})) {
      const owner = claimed.get(name);
      if (owner) throw new Error(`${name} is claimed by ${owner} and by the ${feature.name} feature`);
      claimed.set(name, `the ${feature.name} feature`);
    }
    try {
      const fromEnv = settingsFromEnv(feature.settings, cleaned);
      // Validated here, with the overrides given in code, so a bad value names its variable at start-up.
      resolveSettings(feature.name, feature.settings, fromEnv, feature.overrides as object);
      settings[feature.name] = fromEnv as Record<string, unknown>;
    } catch (error) {
      if (!(error instanceof SettingsError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (!parsed.success || problems.length) throw new EnvError(problems);
  const env = parsed.data;
  const config = resolveConfig({
    features: settings,
    nodeEnv: env.NODE_ENV,
    host: env.HOST,
    port: env.PORT,
    nodeId: env.NODE_ID ?? `${hostname()}-${process.pid}`,
    logLevel: env.LOG_LEVEL,
    corsOrigins: env.CORS_ORIGINS,
    trustProxy: env.TRUST_PROXY,
    staticDir: env.STATIC_DIR ?? null,
    redis: env.REDIS_URL
      ? { url: env.REDIS_URL, keyPrefix: env.REDIS_KEY_PREFIX, required: env.REDIS_REQUIRED, startupWaitMs: env.REDIS_STARTUP_WAIT_MS }
      : null,
    auth: {
      jwt: jwtConfig(env),
      ...(env.JWT_ISSUER !== undefined && { issuer: env.JWT_ISSUER }),
      ...(env.JWT_AUDIENCE !== undefined && { audience: env.JWT_AUDIENCE }),
      allowQueryToken: env.AUTH_ALLOW_QUERY_TOKEN,
      expiryWarningMs: env.AUTH_EXPIRY_WARNING_MS,
      sessionResumeMs: env.SESSION_RESUME_MS,
    },
    limits: {
      maxMessageBytes: env.MAX_MESSAGE_BYTES,
      maxPayloadDepth: env.MAX_PAYLOAD_DEPTH,
      maxRoomsPerSocket: env.MAX_ROOMS_PER_SOCKET,
      maxSocketsPerUser: env.MAX_SOCKETS_PER_USER,
      handshakesPerIp: env.HANDSHAKES_PER_IP,
      handshakeWindowMs: env.HANDSHAKE_WINDOW_MS,
      engineOpensPerIp: { ratePerSec: env.ENGINE_OPENS_PER_IP_PER_SEC, burst: env.ENGINE_OPENS_BURST_PER_IP },
      enginePendingPerIp: env.ENGINE_PENDING_PER_IP,
      connectTimeoutMs: env.CONNECT_TIMEOUT_MS,
      ...(env.RATE_LIMITS && { rateLimits: env.RATE_LIMITS }),
      userRateFactor: env.RATE_LIMIT_USER_FACTOR,
      rateLimitSyncMs: env.RATE_LIMIT_SYNC_MS,
      slowConsumerMaxBytes: env.SLOW_CONSUMER_MAX_BYTES,
    },
    shutdown: { timeoutMs: env.SHUTDOWN_TIMEOUT_MS },
    cluster: { heartbeatMs: env.NODE_HEARTBEAT_MS, nodeTtlMs: env.NODE_TTL_MS },
    validateOutgoing: env.NODE_ENV !== 'production',
    hooks: {
      connect: env.HOOK_CONNECT_URL ? { url: env.HOOK_CONNECT_URL, timeoutMs: env.HOOK_TIMEOUT_MS, fail: env.HOOK_CONNECT_FAIL } : null,
      message: env.HOOK_MESSAGE_URL ? { url: env.HOOK_MESSAGE_URL, timeoutMs: env.HOOK_TIMEOUT_MS, fail: env.HOOK_MESSAGE_FAIL } : null,
      // An audit observer never refuses anything: it fails open.
      command: env.HOOK_COMMAND_URL ? { url: env.HOOK_COMMAND_URL, timeoutMs: env.HOOK_TIMEOUT_MS, fail: 'open' } : null,
    },
    tracing: env.OTEL_EXPORTER_OTLP_ENDPOINT
      ? tracingTo(env.OTEL_EXPORTER_OTLP_ENDPOINT, {
          headers: env.OTEL_EXPORTER_OTLP_HEADERS ?? {},
          serviceName: env.OTEL_SERVICE_NAME,
          sampler: env.OTEL_TRACES_SAMPLER,
          sampleRatio: env.OTEL_TRACES_SAMPLER_ARG,
          exportDelayMs: env.OTEL_BSP_SCHEDULE_DELAY,
        })
      : null,
  });
  return { config, env };
}

function jwtConfig(env: Env): JwtConfig {
  if (env.JWT_SECRET) return { kind: 'secret', secret: env.JWT_SECRET };
  const pem = env.JWT_PUBLIC_KEY ?? env.JWT_PUBLIC_KEY_FILE;
  if (pem) return { kind: 'publicKey', pem };
  if (env.JWKS_URL) return { kind: 'jwks', url: env.JWKS_URL };
  return devJwtConfig();
}
