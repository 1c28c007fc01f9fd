/**
 * Scenario 5: one, two and three Tavern nodes over Redis: one redis-server, a Redis Cluster
 * (3 masters with one replica each by default; `--cluster-redis`, `--cluster-replicas`), or
 * each in turn. A fresh Redis per run; the one-node run uses it too (same stores, same
 * adapter), so the comparison is about the other nodes only. Same stepped fan-out as
 * scenario 2, the sender on node A; members are spread over the nodes in turn.
 *
 * - total delivered msgs/s at p99 ≤ 100 ms: two nodes against one;
 * - extra p50 for members on the other node: p50(node B members) − p50(node A members), at
 *   the fixed rate, in the two-node run;
 * - what decides scale-out on a machine too small to show it: CPU per delivered message at
 *   the fixed rate, summed over every process (all nodes and every redis-server, masters and
 *   replicas), with 1, 2 and 3 nodes at the same offered load. Scaling efficiency with N nodes
 *   = CPU per message with one node / CPU per message with N: the throughput per core N nodes
 *   give, given a core each. Each Redis process's CPU per published message is kept too (what
 *   one shard carries).
 *
 * On a machine with fewer than 4 cores both nodes share one core, so the throughput ratio
 * measures the cluster's overhead rather than scale-out (the report says so).
 */
import type { RedisClusterShape, RedisKind, RedisProcess } from '../processes/redis.js';
import { startRedis } from '../processes/redis.js';
import { startTavern } from '../processes/servers.js';
import { goals, median, pairedFigure, pairRuns, singleFigure, type Figure, type PairedRun, type ReportTable, type ScenarioResult } from '../results.js';
import { fitConnections, notRun, round, SkipScenario, sleep, type SuiteContext } from './common.js';
import { fanoutWorkers, rateLimitNotes, runFanoutPlan, type FanoutRun } from './fanout.js';

type NodeCount = 1 | 2 | 3;

export interface ClusterRun {
  /** What the nodes shared: one redis-server or a Redis Cluster. */
  redis: RedisKind;
  nodes: NodeCount;
  /** CPU µs per delivered message at the fixed rate, every node and every redis-server together. */
  cpuUsPerDelivery: number;
  /** The redis-server processes' part of it. */
  redisCpuUsPerDelivery: number;
  /**
   * Each redis-server at the fixed rate: its CPU µs per message published (acked send), and
   * the same above what it spends idle (cron, cluster bus), measured after the steps with the
   * clients still connected.
   */
  redisProcesses: (RedisProcess & { cpuUsPerMessage: number; idleCpuMsPerSec: number; cpuUsPerMessageAboveIdle: number })[];
  repeat: number;
  fanout: FanoutRun;
  maxDeliveredPerSec: number;
  fixedP50Local: number;
  fixedP50Remote: number | null;
  extraP50: number | null;
}

const NODE_IDS = ['node-a', 'node-b', 'node-c'] as const;
const NODE_COUNTS = [1, 2, 3] as const;
const NODE_LABELS = { 1: 'one node', 2: 'two nodes', 3: 'three nodes' } as const;

/** How the report names what the nodes share. */
function redisLabel(kind: RedisKind, shape: RedisClusterShape): string {
  if (kind === 'single') return 'single Redis';
  const replicas = shape.replicas === 0 ? 'no replicas' : `${shape.replicas} replica${shape.replicas > 1 ? 's' : ''} each`;
  return `Redis Cluster, ${shape.masters} masters, ${replicas}`;
}

async function clusterOnce(ctx: SuiteContext, kind: RedisKind, nodes: NodeCount, repeat: number): Promise<ClusterRun> {
  const { cluster, fanout, tavernEnv, allowSource, profileDir } = ctx.options;
  const { layout } = ctx;
  await using workers = fanoutWorkers(ctx);
  // Every redis-server (all masters and replicas of a cluster) on Redis's CPUs.
  await using redis = await startRedis(kind, layout.redis, cluster.shape);
  // Node A on its own CPUs; every other node on node B's (a third node shares them).
  const cpus = [layout.nodeA, layout.nodeB, layout.nodeB];
  // All start at once; if one fails, the others are stopped before the error goes on.
  const started = await Promise.allSettled(
    NODE_IDS.slice(0, nodes).map((nodeId, i) => startTavern({ cpus: cpus[i] ?? null, redisUrl: redis.url, nodeId, env: tavernEnv, allowSource, profileDir })),
  );
  const servers = started.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
  await using _stopAll = { [Symbol.asyncDispose]: async () => void (await Promise.all(servers.map((server) => server.stop()))) };
  const failed = started.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failed) throw failed.reason;
  const nodeA = servers[0]!;
  const run = await runFanoutPlan(
    ctx,
    {
      label: `Tavern, ${NODE_LABELS[nodes]} (${redisLabel(kind, cluster.shape)})`,
      members: fitConnections(ctx, cluster.members, `${nodes} nodes`),
      senderUrl: nodeA.url,
      placeMember: (index) => {
        const node = index % nodes;
        return { url: servers[node]!.url, group: node === 0 ? 'local' : 'remote' };
      },
      deliveriesSteps: cluster.deliveriesSteps,
      fixedDeliveries: cluster.fixedDeliveries,
      stepMs: cluster.stepMs,
      p99LimitMs: fanout.p99LimitMs,
      servers,
      otherCpuMs: () => redis.cpuMs(),
      warmGroups: nodes > 1 ? ['local', 'remote'] : ['local'],
      tag: `${kind === 'single' ? 'c' : 'k'}${nodes}r${repeat}`,
    },
    workers,
    repeat,
  );
  const { fixed } = run;
  // What each redis-server spends with nothing sent: the same clients connected, no messages.
  const idleMs = Math.min(2_000, cluster.stepMs);
  const idleStart = await redis.cpuMs();
  const idleFrom = performance.now();
  await sleep(idleMs);
  const idleEnd = await redis.cpuMs();
  const idleWall = (performance.now() - idleFrom) / 1000;
  const local = fixed.groups['local']?.p50 ?? Number.NaN;
  const remote = fixed.groups['remote']?.p50 ?? null;
  const redisCpuMs = fixed.otherCpuMs.reduce((sum, used) => sum + used, 0);
  return {
    redis: kind,
    nodes,
    cpuUsPerDelivery: fixed.cpuUsPerDelivery,
    redisCpuUsPerDelivery: fixed.delivered > 0 ? round((redisCpuMs * 1000) / fixed.delivered, 2) : Number.NaN,
    redisProcesses: redis.processes.map((process, i) => {
      const used = fixed.otherCpuMs[i] ?? Number.NaN;
      const idleCpuMsPerSec = ((idleEnd[i] ?? Number.NaN) - (idleStart[i] ?? Number.NaN)) / idleWall;
      const perMessage = (ms: number) => (fixed.acked > 0 ? round((ms * 1000) / fixed.acked, 1) : Number.NaN);
      return {
        ...process,
        cpuUsPerMessage: perMessage(used),
        idleCpuMsPerSec: round(idleCpuMsPerSec, 3),
        cpuUsPerMessageAboveIdle: perMessage(Math.max(0, used - (idleCpuMsPerSec * fixed.wallMs) / 1000)),
      };
    }),
    repeat,
    fanout: run,
    maxDeliveredPerSec: run.maxDeliveredPerSec,
    fixedP50Local: local,
    fixedP50Remote: remote,
    extraP50: remote === null ? null : round(remote - local, 3),
  };
}

export async function runCluster(ctx: SuiteContext): Promise<ScenarioResult> {
  const id = 'cluster';
  const { cluster, repeats } = ctx.options;
  const kinds = cluster.redis;
  const title = `5. One, two and three nodes over ${kinds.map((kind) => (kind === 'single' ? 'one Redis' : 'a Redis Cluster')).join(' and over ')}`;
  const runs: ClusterRun[] = [];
  if (!ctx.targets.includes('tavern')) return notRun(id, title, new SkipScenario('Tavern is not among --targets'));
  try {
    for (let repeat = 0; repeat < repeats; repeat++) {
      // Interleaved like the other scenarios: two nodes, one, three; again. The kinds of
      // Redis take turns going first.
      for (const kind of repeat % 2 === 0 ? kinds : [...kinds].reverse()) {
        for (const nodes of [2, 1, 3] as const) {
          ctx.log(`  ${nodes} node(s) over ${redisLabel(kind, cluster.shape)}, ${cluster.members} members (run ${repeat + 1}/${repeats})`);
          const run = await clusterOnce(ctx, kind, nodes, repeat);
          ctx.log(
            `    max ${run.maxDeliveredPerSec} deliveries/s at p99 ≤ ${ctx.options.fanout.p99LimitMs} ms; fixed rate p50 local ${run.fixedP50Local} ms${run.fixedP50Remote === null ? '' : `, other node ${run.fixedP50Remote} ms`}; ${run.cpuUsPerDelivery} µs CPU per delivery (all processes; Redis ${run.redisCpuUsPerDelivery} µs)`,
          );
          runs.push(run);
        }
      }
    }
  } catch (error) {
    const result = notRun(id, title, error);
    result.runs = runs;
    return result;
  }
  const figures: Figure[] = [];
  const tables: ReportTable[] = [];
  const notes = [
    'every run uses a fresh Redis of its kind (stores and adapter); the sender is on node A; members are spread over the nodes in turn; CPU is summed over every node and every redis-server process (a cluster: all masters and replicas)',
  ];
  for (const kind of kinds) {
    const of = runs.filter((run) => run.redis === kind);
    const by = (nodes: NodeCount) => of.filter((run) => run.nodes === nodes);
    const label = redisLabel(kind, cluster.shape);
    figures.push(...figuresOf(ctx, by, label));
    tables.push(scaleOutTable(by, label));
    notes.push(
      `${label}: scaling efficiency (throughput per core with N nodes against one, each node on its own core) = 1 / the CPU-per-message ratio: two nodes ${efficiency(by(1), by(2))}, three nodes ${efficiency(by(1), by(3))}`,
    );
    notes.push(...redisNotes(by, label));
  }
  if (kinds.includes('single') && kinds.includes('cluster')) {
    const ratios = NODE_COUNTS.map((nodes) => {
      const ratio = median(pairRuns(runs.filter((run) => run.redis === 'cluster' && run.nodes === nodes), runs.filter((run) => run.redis === 'single' && run.nodes === nodes), (run) => run.cpuUsPerDelivery).map((pair) => pair.value / pair.baseline));
      return `${NODE_LABELS[nodes]} ${ratio === null ? '–' : `${ratio.toFixed(2)}×`}`;
    });
    notes.push(`CPU per delivered message, all processes, ${redisLabel('cluster', cluster.shape)} against single Redis with as many nodes: ${ratios.join(', ')}`);
  }
  notes.push(...rateLimitNotes(runs.map((run) => run.fanout)));
  if (!ctx.layout.clusterSpread) {
    notes.push(`fewer than 4 cores: the nodes and every redis-server share one core, so the throughput ratio shows the cluster's overhead, not scale-out (${ctx.layout.note})`);
  }
  return { id, title, status: 'ok', figures, notes, tables, runs };
}

function figuresOf(ctx: SuiteContext, by: (nodes: NodeCount) => ClusterRun[], label: string): Figure[] {
  const [one, two, three] = NODE_COUNTS.map(by) as [ClusterRun[], ClusterRun[], ClusterRun[]];
  const pairs = (pick: (run: ClusterRun) => number, many = two): PairedRun[] => pairRuns(many, one, pick);
  const labels = { value: 'Tavern, two nodes', baseline: 'Tavern, one node' };
  const cpuPerDelivery = (run: ClusterRun) => run.cpuUsPerDelivery;
  const rate = ctx.options.cluster.fixedDeliveries.toLocaleString('en');
  return [
    pairedFigure(`total delivered msgs/s at p99 ≤ 100 ms (${label})`, '/s', pairs((run) => run.maxDeliveredPerSec), goals.clusterThroughput, labels),
    pairedFigure(`p50 at the fixed rate, members on the sender’s node (${label})`, 'ms', pairs((run) => run.fixedP50Local), null, labels),
    singleFigure(`extra p50 for members on the other node (${label})`, 'ms', two.map((run) => run.extraP50 ?? Number.NaN), goals.clusterExtraP50, 'Tavern, two nodes'),
    pairedFigure(`CPU per delivered message at ${rate}/s, all nodes and Redis, two nodes (${label})`, 'µs', pairs(cpuPerDelivery), goals.clusterCpuPerDelivery, labels),
    pairedFigure(`CPU per delivered message at ${rate}/s, all nodes and Redis, three nodes (${label})`, 'µs', pairs(cpuPerDelivery, three), null, {
      value: 'Tavern, three nodes',
      baseline: 'Tavern, one node',
    }),
  ];
}

const format = (value: number | null, unit: string, digits = 1) => (value === null || !Number.isFinite(value) ? '–' : `${value.toFixed(digits)} ${unit}`);

/** 1, 2 and 3 nodes: CPU per delivered message (and Redis's part), against one node, efficiency, the goal. */
function scaleOutTable(by: (nodes: NodeCount) => ClusterRun[], label: string): ReportTable {
  const one = by(1);
  const rows = NODE_COUNTS.map((nodes) => {
    const runs = by(nodes);
    const ratio = median(pairRuns(runs, one, (run) => run.cpuUsPerDelivery).map((pair) => pair.value / pair.baseline));
    const met = nodes !== 2 ? '' : ratio === null ? '?' : ratio <= goals.clusterCpuPerDelivery.limit ? 'yes' : '**no**';
    return [
      NODE_LABELS[nodes],
      format(median(runs.map((run) => run.cpuUsPerDelivery)), 'µs', 2),
      format(median(runs.map((run) => run.redisCpuUsPerDelivery)), 'µs', 2),
      ratio === null ? '–' : `${ratio.toFixed(2)}×`,
      ratio === null ? '–' : `${Math.round(100 / ratio)}%`,
      nodes === 2 ? goals.clusterCpuPerDelivery.text : '',
      met,
    ];
  });
  return {
    title: `scale-out over ${label}`,
    header: ['nodes', 'CPU per delivered message, all processes', 'of which Redis', 'against one node', 'scaling efficiency', 'goal', 'met'],
    rows,
  };
}

/**
 * What each redis-server spent per published message at the fixed rate above its idle CPU:
 * the busiest master (the one that owns the channel's slot), the other masters, the replicas;
 * and what they spend idle.
 */
function redisNotes(by: (nodes: NodeCount) => ClusterRun[], label: string): string[] {
  type Processes = ClusterRun['redisProcesses'];
  return NODE_COUNTS.flatMap((nodes) => {
    const runs = by(nodes);
    if (runs.length === 0) return [];
    const pick = (choose: (processes: Processes) => number[]) => median(runs.flatMap((run) => choose(run.redisProcesses)));
    const primaries = (processes: Processes) => processes.filter((process) => process.role !== 'replica').sort((a, b) => b.cpuUsPerMessageAboveIdle - a.cpuUsPerMessageAboveIdle);
    const replicas = (processes: Processes) => processes.filter((process) => process.role === 'replica');
    const busiest = pick((processes) => primaries(processes).slice(0, 1).map((process) => process.cpuUsPerMessageAboveIdle));
    const idle = pick((processes) => processes.map((process) => process.idleCpuMsPerSec));
    const parts = [`${runs[0]!.redisProcesses.length > 1 ? "busiest master (the channel's slot)" : 'redis-server'} ${format(busiest, 'µs')}`];
    if (primaries(runs[0]!.redisProcesses).length > 1) parts.push(`each other master ${format(pick((processes) => primaries(processes).slice(1).map((process) => process.cpuUsPerMessageAboveIdle)), 'µs')}`);
    if (replicas(runs[0]!.redisProcesses).length > 0) parts.push(`each replica ${format(pick((processes) => replicas(processes).map((process) => process.cpuUsPerMessageAboveIdle)), 'µs')}`);
    return [`${label}, ${NODE_LABELS[nodes]}: Redis CPU per message published at the fixed rate, above idle: ${parts.join(', ')}; idle, each process ${format(idle, 'ms/s', 2)}`];
  });
}

/** Scaling efficiency: 1 / the median of the per-repeat CPU-per-message ratios (N nodes / one), as a percentage. */
function efficiency(one: readonly ClusterRun[], many: readonly ClusterRun[]): string {
  const ratio = median(pairRuns(many, one, (run) => run.cpuUsPerDelivery).map((pair) => pair.value / pair.baseline));
  return ratio !== null && ratio > 0 ? `${Math.round(100 / ratio)}%` : 'not measured';
}
