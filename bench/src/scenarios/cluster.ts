/**
 * Scenario 5: one, two and three Tavern nodes over Redis. A fresh redis-server per run; the
 * one-node run uses it too (same stores, same adapter), so the comparison is about the
 * other nodes only. Same stepped fan-out as scenario 2, the sender on node A; members are
 * spread over the nodes in turn.
 *
 * - total delivered msgs/s at p99 ≤ 100 ms: two nodes against one;
 * - extra p50 for members on the other node: p50(node B members) − p50(node A members), at
 *   the fixed rate, in the two-node run;
 * - what decides scale-out on a machine too small to show it: CPU per delivered message at
 *   the fixed rate, summed over every process (all nodes and Redis), with 1, 2 and 3 nodes at
 *   the same offered load. Scaling efficiency with N nodes = CPU per message with one node /
 *   CPU per message with N: the throughput per core N nodes give, given a core each.
 *
 * On a machine with fewer than 4 cores both nodes share one core, so the throughput ratio
 * measures the cluster's overhead rather than scale-out (the report says so).
 */
import { startRedisServer, startTavern } from '../processes/servers.js';
import { goals, pairedFigure, pairRuns, singleFigure, type PairedRun, type ScenarioResult } from '../results.js';
import { fitConnections, notRun, round, SkipScenario, type SuiteContext } from './common.js';
import { fanoutWorkers, rateLimitNotes, runFanoutPlan, type FanoutRun } from './fanout.js';

type NodeCount = 1 | 2 | 3;

export interface ClusterRun {
  nodes: NodeCount;
  /** CPU µs per delivered message at the fixed rate, every node and Redis together. */
  cpuUsPerDelivery: number;
  repeat: number;
  fanout: FanoutRun;
  maxDeliveredPerSec: number;
  fixedP50Local: number;
  fixedP50Remote: number | null;
  extraP50: number | null;
}

const NODE_IDS = ['node-a', 'node-b', 'node-c'] as const;

async function clusterOnce(ctx: SuiteContext, nodes: NodeCount, repeat: number): Promise<ClusterRun> {
  const { cluster, fanout, tavernEnv, allowSource, profileDir } = ctx.options;
  const { layout } = ctx;
  await using workers = fanoutWorkers(ctx);
  await using redis = await startRedisServer(layout.redis);
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
  const labels = ['Tavern, one node', 'Tavern, two nodes', 'Tavern, three nodes'] as const;
  const run = await runFanoutPlan(
    ctx,
    {
      label: labels[nodes - 1]!,
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
      cpuPids: [redis.pid],
      warmGroups: nodes > 1 ? ['local', 'remote'] : ['local'],
      tag: `c${nodes}r${repeat}`,
    },
    workers,
    repeat,
  );
  const local = run.fixed.groups['local']?.p50 ?? Number.NaN;
  const remote = run.fixed.groups['remote']?.p50 ?? null;
  return {
    nodes,
    cpuUsPerDelivery: run.fixed.cpuUsPerDelivery,
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
  const title = '5. Two and three nodes over Redis against one node';
  const runs: ClusterRun[] = [];
  if (!ctx.targets.includes('tavern')) return notRun(id, title, new SkipScenario('Tavern is not among --targets'));
  try {
    for (let repeat = 0; repeat < ctx.options.repeats; repeat++) {
      // Interleaved like the other scenarios: two nodes, one, three; again.
      for (const nodes of [2, 1, 3] as const) {
        ctx.log(`  ${nodes} node(s) over Redis, ${ctx.options.cluster.members} members (run ${repeat + 1}/${ctx.options.repeats})`);
        const run = await clusterOnce(ctx, nodes, repeat);
        ctx.log(
          `    max ${run.maxDeliveredPerSec} deliveries/s at p99 ≤ ${ctx.options.fanout.p99LimitMs} ms; fixed rate p50 local ${run.fixedP50Local} ms${run.fixedP50Remote === null ? '' : `, other node ${run.fixedP50Remote} ms`}; ${run.cpuUsPerDelivery} µs CPU per delivery (all processes)`,
        );
        runs.push(run);
      }
    }
  } catch (error) {
    const result = notRun(id, title, error);
    result.runs = runs;
    return result;
  }
  const two = runs.filter((run) => run.nodes === 2);
  const one = runs.filter((run) => run.nodes === 1);
  const three = runs.filter((run) => run.nodes === 3);
  const pairs = (pick: (run: ClusterRun) => number, many = two): PairedRun[] => pairRuns(many, one, pick);
  const labels = { value: 'Tavern, two nodes', baseline: 'Tavern, one node' };
  const cpuPerDelivery = (run: ClusterRun) => run.cpuUsPerDelivery;
  const rate = ctx.options.cluster.fixedDeliveries.toLocaleString('en');
  const figures = [
    pairedFigure('total delivered msgs/s at p99 ≤ 100 ms', '/s', pairs((run) => run.maxDeliveredPerSec), goals.clusterThroughput, labels),
    pairedFigure('p50 at the fixed rate, members on the sender’s node', 'ms', pairs((run) => run.fixedP50Local), null, labels),
    singleFigure('extra p50 for members on the other node', 'ms', two.map((run) => run.extraP50 ?? Number.NaN), goals.clusterExtraP50, 'Tavern, two nodes'),
    pairedFigure(`CPU per delivered message at ${rate}/s, all nodes and Redis (two nodes)`, 'µs', pairs(cpuPerDelivery), goals.clusterCpuPerDelivery, labels),
    pairedFigure(`CPU per delivered message at ${rate}/s, all nodes and Redis (three nodes)`, 'µs', pairs(cpuPerDelivery, three), null, {
      value: 'Tavern, three nodes',
      baseline: 'Tavern, one node',
    }),
  ];
  const notes = [
    'every run uses the same kind of fresh Redis (stores and adapter); the sender is on node A; members are spread over the nodes in turn',
    `scaling efficiency (throughput per core with N nodes against one, each node on its own core) = 1 / the CPU-per-message ratio: two nodes ${efficiency(one, two)}, three nodes ${efficiency(one, three)}`,
  ];
  notes.push(...rateLimitNotes(runs.map((run) => run.fanout)));
  if (!ctx.layout.clusterSpread) {
    notes.push(`fewer than 4 cores: both nodes and Redis share one core, so the throughput ratio shows the cluster's overhead, not scale-out (${ctx.layout.note})`);
  }
  return { id, title, status: 'ok', figures, notes, runs };
}

/** Median CPU per message with one node over that with N, as a percentage. */
function efficiency(one: readonly ClusterRun[], many: readonly ClusterRun[]): string {
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
  const ratio = median(one.map((run) => run.cpuUsPerDelivery)) / median(many.map((run) => run.cpuUsPerDelivery));
  return Number.isFinite(ratio) ? `${Math.round(ratio * 100)}%` : 'not measured';
}
