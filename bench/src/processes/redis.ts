/**
 * The Redis behind the multi-node scenario, every process ours and stopped by its PID: one
 * throw-away `redis-server`, or a Redis Cluster of `redis-server --cluster-enabled yes`
 * processes joined by `redis-cli --cluster create`. No persistence, nothing kept after stop.
 *
 * The tests have their own cluster starter (`apps/server/test/support/start-redis-cluster.ts`)
 * built for failover: ioredis probes, killing masters, waiting for promotion. This one is for
 * measuring: the processes pinned with taskset, their PIDs and roles exposed so that their CPU
 * is counted, no client library (the bench talks RESP itself for the few commands it needs).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './servers.js';
import { exitOf, hasTaskset, killChild, track } from './spawn.js';

export type RedisKind = 'single' | 'cluster';

export interface RedisProcess {
  pid: number;
  port: number;
  /** `redis` for a single server, else `master` or `replica`. */
  role: 'redis' | 'master' | 'replica';
  /** A master's slot ranges (`0-5460`), a replica's master port; empty for a single server. */
  serves: string;
}

export interface RedisHandle extends AsyncDisposable {
  readonly kind: RedisKind;
  /** `redis://…` or `redis+cluster://h:p,…` (every node a seed), as Tavern's `REDIS_URL`. */
  readonly url: string;
  /** Every redis-server process: its CPU counts towards the scenario's figures. */
  readonly processes: readonly RedisProcess[];
  /** CPU ms each process has used so far (`processes` order), to the µs. */
  cpuMs(): Promise<number[]>;
  stop(): Promise<void>;
}

export interface RedisClusterShape {
  /** @default 3 */
  masters: number;
  /** Replicas per master. @default 1 */
  replicas: number;
}

/**
 * One command over RESP, answered with its simple string, integer or bulk string (`null` for a
 * nil bulk); a Redis error or no answer within a second rejects. Enough for PING, INFO and
 * CLUSTER INFO / NODES, which is all the bench asks.
 */
export function redisCommand(port: number, ...args: string[]): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let reply = Buffer.alloc(0);
    const done = (error: Error | null, value?: string | null) => {
      socket.destroy();
      if (error) reject(error);
      else resolve(value ?? null);
    };
    socket.setTimeout(1_000, () => done(new Error(`redis on ${port}: no answer to ${args[0]}`)));
    socket.once('error', (error) => done(error));
    socket.on('data', (chunk: Buffer) => {
      reply = Buffer.concat([reply, chunk]);
      const end = reply.indexOf('\r\n');
      if (end < 0) return;
      const head = reply.subarray(1, end).toString();
      switch (reply[0]) {
        case 0x2b: // +
        case 0x3a: // :
          return done(null, head);
        case 0x2d: // -
          return done(new Error(`redis on ${port}: ${head}`));
        case 0x24: {
          // $
          const length = Number(head);
          if (length < 0) return done(null, null);
          if (reply.length >= end + 2 + length + 2) done(null, reply.subarray(end + 2, end + 2 + length).toString());
          return;
        }
        default:
          return done(new Error(`redis on ${port}: unexpected reply to ${args[0]}: ${head}`));
      }
    });
    socket.once('connect', () => socket.write(`*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`));
  });
}

/**
 * A redis-server's CPU ms so far, all its threads: `used_cpu_user` + `used_cpu_sys` of `INFO cpu`
 * (getrusage, to the µs; `/proc` counts 10 ms ticks, too coarse for Redis's share of a step).
 */
export async function redisCpuMs(port: number): Promise<number> {
  const info = (await redisCommand(port, 'INFO', 'cpu')) ?? '';
  const seconds = (field: string) => Number(new RegExp(`^${field}:([0-9.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
  return (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1000;
}

const cpuOf = (processes: readonly RedisProcess[]) => () => Promise.all(processes.map(({ port }) => redisCpuMs(port).catch(() => Number.NaN)));

async function until(what: string, deadlineMs: number, check: () => Promise<boolean>, onTimeout: () => string): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}:\n${onTimeout()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface Launched {
  child: ChildProcess;
  port: number;
  output(): string;
}

/** A redis-server on a free port in `dir`, pinned to `cpus`, answering PING. */
async function launchRedis(dir: string, cpus: string | null, extra: string[] = []): Promise<Launched> {
  const port = await freePort();
  const command = ['redis-server', '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning', ...extra];
  const pinned = cpus && hasTaskset() ? ['taskset', '-c', cpus, ...command] : command;
  const [file, ...rest] = pinned as [string, ...string[]];
  const child = track(spawn(file, rest, { stdio: ['ignore', 'pipe', 'pipe'] }));
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8_000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  try {
    await until(
      `redis-server did not start on port ${port}`,
      10_000,
      async () => {
        if (child.exitCode !== null) throw new Error('exited');
        return (await redisCommand(port, 'PING')) === 'PONG';
      },
      () => output,
    );
  } catch (error) {
    await killChild(child);
    throw error;
  }
  return { child, port, output: () => output };
}

/** A throw-away redis-server on a free port (no persistence), stopped by PID. */
export async function startRedisServer(cpus: string | null): Promise<RedisHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'tavern-bench-redis-'));
  let server: Launched;
  try {
    server = await launchRedis(dir, cpus);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const stop = async () => {
    await killChild(server.child);
    rmSync(dir, { recursive: true, force: true });
  };
  const processes: RedisProcess[] = [{ pid: server.child.pid ?? 0, port: server.port, role: 'redis', serves: '' }];
  return {
    kind: 'single',
    url: `redis://127.0.0.1:${server.port}`,
    processes,
    cpuMs: cpuOf(processes),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/**
 * A Redis Cluster of `masters` shards with `replicas` replicas each, all on `cpus`. Returns
 * once every node reports `cluster_state:ok` with all 16384 slots served and every replica's
 * link to its master is up.
 */
export async function startRedisCluster(cpus: string | null, shape: RedisClusterShape = { masters: 3, replicas: 1 }): Promise<RedisHandle> {
  const { masters, replicas } = shape;
  const dir = mkdtempSync(join(tmpdir(), 'tavern-bench-redis-cluster-'));
  const nodes: Launched[] = [];
  const stop = async () => {
    await Promise.all(nodes.map(({ child }) => killChild(child)));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters * (1 + replicas); i++) {
      const nodeDir = join(dir, String(i));
      mkdirSync(nodeDir);
      const busPort = await freePort();
      nodes.push(
        await launchRedis(nodeDir, cpus, [
          '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-port', String(busPort),
          // Redis's default node timeout: no failover because a loaded core starved a master.
          '--cluster-node-timeout', '15000', '--repl-diskless-sync-delay', '0',
        ]),
      );
    }
    await redisCli(['--cluster', 'create', ...nodes.map(({ port }) => `127.0.0.1:${port}`), '--cluster-replicas', String(replicas), '--cluster-yes']);
    await until(
      `the redis cluster on ${nodes.map(({ port }) => port).join(',')} did not become ok`,
      30_000,
      async () => {
        let synced = 0;
        for (const { port } of nodes) {
          const info = (await redisCommand(port, 'CLUSTER', 'INFO')) ?? '';
          if (!info.includes('cluster_state:ok') || !info.includes('cluster_slots_ok:16384')) return false;
          if (Number(/cluster_known_nodes:(\d+)/.exec(info)?.[1]) !== nodes.length) return false;
          const replication = (await redisCommand(port, 'INFO', 'replication')) ?? '';
          if (replication.includes('role:slave') && replication.includes('master_link_status:up')) synced++;
        }
        return synced === masters * replicas;
      },
      () => nodes.map(({ port, output }) => `${port}: ${output()}`).join('\n'),
    );
    const processes = await Promise.all(nodes.map(roleOf));
    return {
      kind: 'cluster',
      url: `redis+cluster://${nodes.map(({ port }) => `127.0.0.1:${port}`).join(',')}`,
      processes,
      cpuMs: cpuOf(processes),
      stop,
      [Symbol.asyncDispose]: stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * A cluster node's role as it says itself: `INFO replication` (a replica's master port), and
 * for a master the slots on its own `myself` line of `CLUSTER NODES`
 * (`<id> <ip:port@bus> <flags> <master> <ping> <pong> <epoch> <link> <slots…>`).
 */
async function roleOf({ child, port }: Launched): Promise<RedisProcess> {
  const pid = child.pid ?? 0;
  const replication = (await redisCommand(port, 'INFO', 'replication')) ?? '';
  if (replication.includes('role:slave')) return { pid, port, role: 'replica', serves: `of ${/master_port:(\d+)/.exec(replication)?.[1] ?? '?'}` };
  const myself = ((await redisCommand(port, 'CLUSTER', 'NODES')) ?? '').split('\n').find((line) => line.includes('myself')) ?? '';
  return { pid, port, role: 'master', serves: myself.trim().split(' ').slice(8).join(' ') };
}

function redisCli(args: readonly string[]): Promise<void> {
  const child = track(spawn('redis-cli', args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    void exitOf(child).then((code) => (code === 0 ? resolve() : reject(new Error(`redis-cli ${args.join(' ')} exited ${code}: ${output}`))));
  });
}

/** A fresh Redis of the given kind; a cluster has the given shape. */
export function startRedis(kind: RedisKind, cpus: string | null, shape?: RedisClusterShape): Promise<RedisHandle> {
  return kind === 'single' ? startRedisServer(cpus) : startRedisCluster(cpus, shape);
}
