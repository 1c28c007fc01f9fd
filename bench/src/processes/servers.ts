/**
 * The servers under test, each a real process we own (stopped by PID): Tavern
 * (`apps/server/dist/main.js`, or the bench's program embedding it with a room type), the
 * raw Socket.IO and Colyseus baselines. Redis, single or cluster, is in `redis.ts`.
 */
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { killChild, programArgs, spawnNode, tavernServerArgs, waitForOutput } from './spawn.js';
import { cpuMs, rssBytes } from './proc-stats.js';

export type TargetKind = 'tavern' | 'raw';
/** A target, or the baseline of the game-room scenario. */
export type ServerKind = TargetKind | 'colyseus';

export interface ServerHandle extends AsyncDisposable {
  readonly kind: ServerKind;
  readonly label: string;
  readonly url: string;
  readonly pid: number;
  /** VmRSS in bytes. */
  rss(): number;
  /** utime + stime in ms. */
  cpuMs(): number;
  /** V8 heap in use, bytes (from `/metrics` for Tavern, `/heap` for the raw server). */
  heapUsed(): Promise<number>;
  /** True while the process runs. */
  alive(): boolean;
  /** The last 64 KiB the process printed. */
  output(): string;
  stop(): Promise<void>;
  /**
   * SIGTERM, as a deploy stops a node, and the milliseconds until the process has exited (its
   * graceful shutdown with every client still connected); SIGKILL after `limitMs`.
   */
  terminate(limitMs: number): Promise<number>;
}

/** The HS256 secret the bench signs with and its Tavern servers verify with. */
export const BENCH_JWT_SECRET = 'tavern-bench-secret-0123456789abcdef-0123456789';

/** Per-socket limits out of the way: the scenarios measure the server, not one user's allowance. */
export const UNLIMITED_RATES = JSON.stringify({
  default: { ratePerSec: 1_000_000, burst: 1_000_000 },
  'chat:send': { ratePerSec: 1_000_000, burst: 1_000_000 },
  'character:move': { ratePerSec: 1_000_000, burst: 1_000_000 },
});

export interface TavernOptions {
  cpus: string | null;
  /** Extra environment, applied last (for example from `--tavern-env`). */
  env?: Record<string, string>;
  redisUrl?: string;
  nodeId?: string;
  /** Keep the production rate limits (the soak does). */
  defaultLimits?: boolean;
  /** Run from source through tsx when there is no build (smoke test only). */
  allowSource?: boolean;
  /** Write a V8 CPU profile (`--cpu-prof`) into this folder; the server then stops with SIGTERM. */
  profileDir?: string | null;
  /** Extra node arguments (the seeds scenario's probe). */
  nodeArgs?: string[];
}

function handle(
  kind: ServerKind,
  label: string,
  child: ChildProcess,
  port: number,
  output: () => string,
  heapUsed: () => Promise<number>,
  graceMs = 0,
): ServerHandle {
  const pid = child.pid ?? 0;
  const stop = () => killChild(child, graceMs);
  return {
    kind,
    label,
    url: `http://127.0.0.1:${port}`,
    pid,
    rss: () => rssBytes(pid),
    cpuMs: () => cpuMs(pid),
    heapUsed,
    alive: () => child.exitCode === null && child.signalCode === null,
    output,
    stop,
    async terminate(limitMs) {
      const started = performance.now();
      await killChild(child, limitMs);
      return performance.now() - started;
    },
    [Symbol.asyncDispose]: stop,
  };
}

/**
 * Spawns a server program, waits for the line that gives its port, and wraps it in a handle.
 * With `profileDir` it runs under `--cpu-prof` and stops with SIGTERM so the profile is written.
 */
async function launch(
  spec: { kind: ServerKind; label: string; args: string[]; cwd?: string; env: Record<string, string>; ready: RegExp; what: string },
  options: { cpus: string | null; profileDir?: string | null | undefined; nodeArgs?: string[] | undefined },
  heapUsed: (url: string) => Promise<number>,
): Promise<ServerHandle> {
  const profile = options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] : [];
  const child = spawnNode(spec.args, { cpus: options.cpus, env: spec.env, ...(spec.cwd !== undefined && { cwd: spec.cwd }), nodeArgs: [...profile, ...(options.nodeArgs ?? [])] });
  const ready = waitForOutput(child, spec.ready, 30_000, spec.what);
  let port: number;
  try {
    port = Number((await ready.match)[1]);
  } catch (error) {
    await killChild(child);
    throw error;
  }
  const url = `http://127.0.0.1:${port}`;
  return handle(spec.kind, spec.label, child, port, ready.output, () => heapUsed(url), options.profileDir ? 30_000 : 0);
}

/**
 * The Tavern server: `apps/server/dist/main.js`, or with `program` one of the bench's own
 * programs that embed Tavern (the game-room scenario's), with the same environment.
 */
export async function startTavern(options: TavernOptions & { program?: 'tavern-rooms-server' }): Promise<ServerHandle> {
  const { args, cwd } = options.program ? { args: programArgs(options.program), cwd: undefined } : tavernServerArgs(options.allowSource === true);
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: '0',
    // `info` prints the port; nothing on the per-event path logs at info.
    LOG_LEVEL: 'info',
    JWT_SECRET: BENCH_JWT_SECRET,
    HANDSHAKES_PER_IP: '100000',
    HANDSHAKE_WINDOW_MS: '100',
    // Every bench client comes from 127.0.0.1: the per-address admission would refuse them.
    ENGINE_OPENS_PER_IP_PER_SEC: '100000',
    ENGINE_OPENS_BURST_PER_IP: '100000',
    ENGINE_PENDING_PER_IP: '100000',
    // Per-socket and per-channel allowances are raised (the limiters still run on every
    // event) so that the scenarios measure the server, not one user's or channel's quota.
    ...(options.defaultLimits ? {} : { RATE_LIMITS: UNLIMITED_RATES, CHAT_CHANNEL_RATE_PER_SEC: '1000000' }),
    ...(options.redisUrl !== undefined && { REDIS_URL: options.redisUrl }),
    ...(options.nodeId !== undefined && { NODE_ID: options.nodeId }),
    ...options.env,
  };
  return launch(
    { kind: 'tavern', label: options.nodeId ?? 'Tavern', args, ...(cwd !== undefined && { cwd }), env, ready: /"port":(\d+)[^\n]*"msg":"listening"/, what: 'the Tavern server' },
    options,
    async (url) => {
      const body = await (await fetch(`${url}/metrics`)).text();
      const match = /^nodejs_heap_size_used_bytes(?:\{[^}]*\})? ([0-9.e+]+)$/m.exec(body);
      return match?.[1] ? Number(match[1]) : Number.NaN;
    },
  );
}

export function startRaw(options: { cpus: string | null; profileDir?: string | null; nodeArgs?: string[]; env?: Record<string, string> }): Promise<ServerHandle> {
  return launch(
    { kind: 'raw', label: 'raw Socket.IO', args: programArgs('raw-server'), env: { NODE_ENV: 'production', ...options.env }, ready: /"msg":"listening","port":(\d+)/, what: 'the raw Socket.IO server' },
    { cpus: options.cpus, profileDir: options.profileDir ? join(options.profileDir, 'raw') : null, ...(options.nodeArgs !== undefined && { nodeArgs: options.nodeArgs }) },
    async (url) => {
      const body = (await (await fetch(`${url}/heap`)).json()) as { heapUsed: number };
      return body.heapUsed;
    },
  );
}

/** The Colyseus server of the game-room scenario (`src/processes/colyseus-server.ts`); it has no heap endpoint. */
export function startColyseus(options: { cpus: string | null; profileDir?: string | null }): Promise<ServerHandle> {
  return launch(
    { kind: 'colyseus', label: 'Colyseus', args: programArgs('colyseus-server'), env: { NODE_ENV: 'production' }, ready: /"msg":"listening","port":(\d+)/, what: 'the Colyseus server' },
    { cpus: options.cpus, profileDir: options.profileDir ? join(options.profileDir, 'colyseus') : null },
    () => Promise.resolve(Number.NaN),
  );
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
