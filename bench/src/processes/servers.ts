/**
 * The servers under test, each a real process we own (stopped by PID): Tavern
 * (`apps/server/dist/main.js`), the raw Socket.IO baseline, and redis-server for the
 * two-node scenario.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasTaskset, killChild, track, programArgs, spawnNode, tavernServerArgs, waitForOutput } from './spawn.js';
import { cpuMs, rssBytes } from './proc-stats.js';

export type TargetKind = 'tavern' | 'raw';

export interface ServerHandle extends AsyncDisposable {
  readonly kind: TargetKind;
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
  kind: TargetKind,
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
    [Symbol.asyncDispose]: stop,
  };
}

export async function startTavern(options: TavernOptions): Promise<ServerHandle> {
  const { args, cwd } = tavernServerArgs(options.allowSource === true);
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
  const profile = options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] : [];
  const child = spawnNode(args, { cpus: options.cpus, env, cwd, nodeArgs: [...profile, ...(options.nodeArgs ?? [])] });
  const ready = waitForOutput(child, /"port":(\d+)[^\n]*"msg":"listening"/, 30_000, 'the Tavern server');
  let port: number;
  try {
    port = Number((await ready.match)[1]);
  } catch (error) {
    await killChild(child);
    throw error;
  }
  const url = `http://127.0.0.1:${port}`;
  return handle(
    'tavern',
    options.nodeId ?? 'Tavern',
    child,
    port,
    ready.output,
    async () => {
      const body = await (await fetch(`${url}/metrics`)).text();
      const match = /^nodejs_heap_size_used_bytes(?:\{[^}]*\})? ([0-9.e+]+)$/m.exec(body);
      return match?.[1] ? Number(match[1]) : Number.NaN;
    },
    options.profileDir ? 30_000 : 0,
  );
}

export async function startRaw(options: { cpus: string | null; profileDir?: string | null; nodeArgs?: string[]; env?: Record<string, string> }): Promise<ServerHandle> {
  const profile = options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(options.profileDir, 'raw')}`] : [];
  const child = spawnNode(programArgs('raw-server'), {
    cpus: options.cpus,
    env: { NODE_ENV: 'production', ...options.env },
    nodeArgs: [...profile, ...(options.nodeArgs ?? [])],
  });
  const ready = waitForOutput(child, /"msg":"listening","port":(\d+)/, 30_000, 'the raw Socket.IO server');
  let port: number;
  try {
    port = Number((await ready.match)[1]);
  } catch (error) {
    await killChild(child);
    throw error;
  }
  const url = `http://127.0.0.1:${port}`;
  return handle(
    'raw',
    'raw Socket.IO',
    child,
    port,
    ready.output,
    async () => {
      const body = (await (await fetch(`${url}/heap`)).json()) as { heapUsed: number };
      return body.heapUsed;
    },
    options.profileDir ? 30_000 : 0,
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

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
    socket.once('connect', () => socket.write('PING\r\n'));
  });
}

export interface RedisHandle extends AsyncDisposable {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/** A throw-away redis-server on a free port (no persistence), stopped by PID. */
export async function startRedisServer(cpus: string | null): Promise<RedisHandle> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tavern-bench-redis-'));
  const command = ['redis-server', '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning'];
  const pinned = cpus && hasTaskset() ? ['taskset', '-c', cpus, ...command] : command;
  const [file, ...rest] = pinned as [string, ...string[]];
  const child = track(spawn(file, rest, { stdio: ['ignore', 'pipe', 'pipe'] }));
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8_000)));
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8_000)));
  const stop = async () => {
    await killChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  while (!(await ping(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server did not start on port ${port}:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url: `redis://127.0.0.1:${port}`, pid: child.pid ?? 0, stop, [Symbol.asyncDispose]: stop };
}
