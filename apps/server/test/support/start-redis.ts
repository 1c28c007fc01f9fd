/**
 * A real `redis-server` on a free port, owned by the test that started it: stopped by PID,
 * never by name. `stop()`/`start()` simulate an outage on the same port; `freeze()`/`thaw()`
 * (SIGSTOP/SIGCONT) simulate a Redis that hangs without closing connections.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { freePort } from './free-port.js';

export interface TestRedis extends AsyncDisposable {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  freeze(): void;
  thaw(): void;
  /** A fresh client for assertions; closed on dispose. */
  client(): Redis;
}

export interface RedisOptions {
  /** Keep data across stop()/start() (append-only file, fsync on every write). @default false */
  persistent?: boolean;
}

export async function startRedis(options: RedisOptions = {}): Promise<TestRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tavern-redis-'));
  let child: ChildProcess | null = null;
  const clients: Redis[] = [];

  async function start(): Promise<void> {
    const proc = spawn(
      'redis-server',
      [
        '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir, '--loglevel', 'warning',
        ...(options.persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = proc;
    let output = '';
    proc.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    proc.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined); // refused until the server is up; the loop retries
    const deadline = Date.now() + 10_000;
    try {
      for (;;) {
        if (proc.exitCode !== null) throw new Error(`redis-server exited: ${output}`);
        try {
          if (probe.status !== 'ready') await probe.connect();
          if ((await probe.ping()) === 'PONG') return;
        } catch {
          if (Date.now() > deadline) throw new Error(`redis-server did not start on ${port}: ${output}`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    } finally {
      probe.disconnect();
    }
  }

  async function stop(): Promise<void> {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null || proc.pid === undefined) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    process.kill(proc.pid, 'SIGCONT');
    process.kill(proc.pid, 'SIGKILL');
    await exited;
  }

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    stop,
    freeze: () => child?.pid !== undefined && process.kill(child.pid, 'SIGSTOP'),
    thaw: () => child?.pid !== undefined && process.kill(child.pid, 'SIGCONT'),
    client() {
      const client = new Redis(port, '127.0.0.1');
      client.on('error', () => undefined); // tests stop Redis on purpose
      clients.push(client);
      return client;
    },
    async [Symbol.asyncDispose]() {
      for (const client of clients) client.disconnect();
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * One Redis for the tests of a `describe` block: started before them, stopped after.
 *
 * @example
 * const redis = useRedis();
 * it('...', async () => { await using node = await startTestServer({ config: clusterConfig(redis().url) }); });
 */
export function useRedis(options: RedisOptions = {}): () => TestRedis {
  let redis: TestRedis | undefined;
  beforeAll(async () => {
    redis = await startRedis(options);
  });
  afterAll(async () => {
    await redis?.[Symbol.asyncDispose]();
  });
  return () => {
    if (!redis) throw new Error('useRedis: Redis is not started yet (call it inside a test)');
    return redis;
  };
}
