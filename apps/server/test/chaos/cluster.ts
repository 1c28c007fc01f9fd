/**
 * A chaos cluster: Redis, N server processes and nginx in front, all real, all stopped by
 * PID on dispose. Scenarios kill, restart and freeze parts of it.
 */
import { startNginx, type TestNginx } from '../support/start-nginx.js';
import { startRedis, type TestRedis } from '../support/start-redis.js';
import { startServerProcess, type ServerProcess } from '../support/start-server-process.js';

export interface ChaosCluster extends AsyncDisposable {
  readonly redis: TestRedis;
  readonly nginx: TestNginx;
  /** The live nodes; `restart(i)` replaces an entry. */
  readonly nodes: ServerProcess[];
  /** Starts node `i` again (after it was stopped) on the same port. */
  restart(index: number): Promise<ServerProcess>;
  token(userId: string, claims?: Record<string, unknown>): Promise<string>;
  /** RSS of every node process, in MB. */
  rssMb(): number[];
}

/** Every test client comes from 127.0.0.1; real players do not share one address. */
const ONE_ADDRESS_FOR_ALL = {
  HANDSHAKES_PER_IP: '100000',
  ENGINE_OPENS_PER_IP_PER_SEC: '100000',
  ENGINE_OPENS_BURST_PER_IP: '100000',
  ENGINE_PENDING_PER_IP: '100000',
};

export async function startChaosCluster(options: { nodes?: number; env?: Record<string, string>; persistentRedis?: boolean } = {}): Promise<ChaosCluster> {
  const redis = await startRedis({ persistent: options.persistentRedis ?? false });
  const env = { REDIS_URL: redis.url, TRUST_PROXY: 'loopback', ...ONE_ADDRESS_FOR_ALL, ...options.env };
  const nodes = await Promise.all(Array.from({ length: options.nodes ?? 2 }, () => startServerProcess(env)));
  const nginx = await startNginx(nodes.map((node) => node.port));
  return {
    redis,
    nginx,
    nodes,
    async restart(index) {
      const old = nodes[index];
      if (!old) throw new Error(`no node ${index}`);
      const node = await startServerProcess({ ...env, PORT: String(old.port) });
      nodes[index] = node;
      return node;
    },
    token: (userId, claims) => {
      const [first] = nodes;
      if (!first) throw new Error('no nodes');
      return first.token(userId, claims);
    },
    rssMb: () => nodes.map((node) => node.rssMb()),
    async [Symbol.asyncDispose]() {
      await nginx[Symbol.asyncDispose]();
      for (const node of nodes) await node[Symbol.asyncDispose]();
      await redis[Symbol.asyncDispose]();
    },
  };
}

/** One line of figures per scenario, easy to grep in CI logs. */
export function report(scenario: string, figures: Record<string, number | string>): void {
  const line = Object.entries(figures)
    .map(([key, value]) => `${key}=${value}`)
    .join(' ');
  process.stdout.write(`[chaos] ${scenario}: ${line}\n`);
}
