/**
 * A real Redis Cluster for tests: `redis-server --cluster-enabled yes` processes on free ports
 * (client and bus ports both picked free), joined by `redis-cli --cluster create`, three
 * masters with one replica each by default. Owned by the test that started it: every process
 * is stopped by its PID. `killMaster(i)` SIGKILLs a master so that its replica takes over.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { freePort } from './free-port.js';

export interface TestRedisCluster extends AsyncDisposable {
  /** `redis+cluster://127.0.0.1:p1,...`: every node as a seed. */
  readonly url: string;
  /** The client ports of every node started, masters and replicas. */
  readonly ports: readonly number[];
  /** The client ports of the masters now, ordered by their first slot. */
  masters(): Promise<number[]>;
  /**
   * SIGKILLs the master holding the `index`-th slot range and waits until a replica has
   * taken its slots over and the cluster is ok again. Returns how long that took (ms).
   */
  killMaster(index: number): Promise<{ port: number; failoverMs: number }>;
  /** `killMaster` of the master that owns `slot` now. */
  killMasterOf(slot: number): Promise<{ port: number; failoverMs: number }>;
  /** A fresh cluster client for assertions; closed on dispose. */
  client(): Cluster;
}

export interface RedisClusterOptions {
  /** @default 3 */
  masters?: number;
  /** Replicas per master. @default 1 */
  replicas?: number;
  /** `cluster-node-timeout`: how long a master may be silent before a replica takes over. @default 1000 */
  nodeTimeoutMs?: number;
}

interface Node {
  port: number;
  child: ChildProcess;
}

export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<TestRedisCluster> {
  const { masters = 3, replicas = 1, nodeTimeoutMs = 1_000 } = options;
  const dir = mkdtempSync(join(tmpdir(), 'tavern-redis-cluster-'));
  const nodes: Node[] = [];
  const clients: (Redis | Cluster)[] = [];
  try {
    for (let i = 0; i < masters * (1 + replicas); i++) nodes.push(await startNode(dir, nodeTimeoutMs));
    await run('redis-cli', ['--cluster', 'create', ...nodes.map(({ port }) => `127.0.0.1:${port}`), '--cluster-replicas', String(replicas), '--cluster-yes']);
    // Formed once every node sees the masters and the replicas in sync (CLUSTER SLOTS lists a
    // replica only seconds later, once gossip carried its offset; CLUSTER NODES at once).
    await waitUntilOk(nodes.map(({ port }) => port), nodes.length, (shards, info) => shards.length === masters && info.syncedReplicas === masters * replicas);
  } catch (error) {
    await Promise.all(nodes.map(stopNode));
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const ports = nodes.map(({ port }) => port);

  async function shards(): Promise<Shard[]> {
    const live = nodes.filter(({ child }) => child.exitCode === null && child.signalCode === null);
    const probe = direct(live[0]?.port ?? 0);
    try {
      await probe.connect();
      return ((await probe.call('CLUSTER', 'SLOTS')) as Shard[]).sort((a, b) => a[0] - b[0]);
    } finally {
      probe.disconnect();
    }
  }

  async function masterPorts(): Promise<number[]> {
    return (await shards()).map((shard) => shard[2][1]);
  }

  async function kill(port: number | undefined): Promise<{ port: number; failoverMs: number }> {
    const node = nodes.find((candidate) => candidate.port === port);
    if (port === undefined || !node) throw new Error(`no master on port ${port}`);
    const started = performance.now();
    await stopNode(node);
    const live = nodes.filter((candidate) => candidate !== node).map((candidate) => candidate.port);
    await waitUntilOk(live, nodes.length, (reported) => reported.every((shard) => shard[2][1] !== port));
    return { port, failoverMs: Math.round(performance.now() - started) };
  }

  return {
    url: `redis+cluster://${ports.map((port) => `127.0.0.1:${port}`).join(',')}`,
    ports,
    masters: masterPorts,
    killMaster: async (index) => kill((await masterPorts())[index]),
    killMasterOf: async (slot) => kill((await shards()).find(([start, end]) => start <= slot && slot <= end)?.[2][1]),
    client() {
      const client = new Cluster(ports.map((port) => ({ host: '127.0.0.1', port })), { scaleReads: 'master' });
      client.on('error', () => undefined); // tests kill masters on purpose
      clients.push(client);
      return client;
    },
    async [Symbol.asyncDispose]() {
      for (const client of clients) client.disconnect();
      await Promise.all(nodes.map(stopNode));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * One Redis Cluster for the tests of a `describe` block (or file): started before them,
 * stopped after.
 */
export function useRedisCluster(options: RedisClusterOptions = {}): () => TestRedisCluster {
  let cluster: TestRedisCluster | undefined;
  beforeAll(async () => {
    cluster = await startRedisCluster(options);
  }, 60_000);
  afterAll(async () => {
    await cluster?.[Symbol.asyncDispose]();
  });
  return () => {
    if (!cluster) throw new Error('useRedisCluster: the cluster is not started yet (call it inside a test)');
    return cluster;
  };
}

async function startNode(root: string, nodeTimeoutMs: number): Promise<Node> {
  const port = await freePort();
  const busPort = await freePort();
  const dir = join(root, String(port));
  mkdirSync(dir);
  const child = spawn(
    'redis-server',
    [
      '--port', String(port), '--cluster-port', String(busPort), '--bind', '127.0.0.1', '--dir', dir,
      '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', String(nodeTimeoutMs),
      '--save', '', '--appendonly', 'no', '--loglevel', 'warning', '--repl-diskless-sync-delay', '0',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited: ${output}`);
    const probe = direct(port);
    try {
      await probe.connect();
      if ((await probe.ping()) === 'PONG') return { port, child };
    } catch {
      if (Date.now() > deadline) throw new Error(`redis-server did not start on ${port}: ${output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      probe.disconnect();
    }
  }
}

async function stopNode({ child }: Node): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(child.pid, 'SIGKILL');
  await exited;
}

/** A plain connection to one node, that fails at once while the node is not there. */
function direct(port: number): Redis {
  const client = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  client.on('error', () => undefined); // refused until the node is up; callers retry
  return client;
}

/** A `CLUSTER SLOTS` entry: the range, its master, then its replicas. */
type Shard = [start: number, end: number, master: [host: string, port: number, ...unknown[]], ...replicas: unknown[]];

type Accept = (shards: Shard[], info: { syncedReplicas: number }) => boolean;

/**
 * Polls until every node in `ports` says the cluster is ok, knows `known` nodes (killed ones
 * stay known, as failed), sees all 16384 slots served, and `accept`s the shards it reports.
 */
async function waitUntilOk(ports: readonly number[], known: number, accept: Accept): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (await allOk(ports, known, accept)) return;
    if (Date.now() > deadline) throw new Error(`the redis cluster on ${ports.join(',')} did not become ok`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function allOk(ports: readonly number[], known: number, accept: Accept): Promise<boolean> {
  let syncedReplicas = 0;
  const answers = await Promise.all(
    ports.map(async (port) => {
      const probe = direct(port);
      try {
        await probe.connect();
        const info = await probe.call('CLUSTER', 'INFO');
        const shards = (await probe.call('CLUSTER', 'SLOTS')) as Shard[];
        const replication = await probe.info('replication');
        if (replication.includes('role:slave') && replication.includes('master_link_status:up')) syncedReplicas++;
        const text = String(info);
        return text.includes('cluster_state:ok') && text.includes('cluster_slots_ok:16384') && Number(/cluster_known_nodes:(\d+)/.exec(text)?.[1]) >= known && shards;
      } catch {
        return false;
      } finally {
        probe.disconnect();
      }
    }),
  );
  return answers.every((shards) => shards !== false && accept(shards, { syncedReplicas }));
}

function run(command: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${output}`))));
  });
}
