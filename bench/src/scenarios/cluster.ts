/**
 * Scenario 5: two Tavern nodes over Redis against one. A fresh redis-server per run; the
 * one-node run uses it too (same stores, same adapter), so the comparison is about the
 * second node only. Same stepped fan-out as scenario 2, the sender on node A; in the
 * two-node run every other member is on node B.
 *
 * - total delivered msgs/s at p99 ≤ 100 ms: two nodes against one;
 * - extra p50 for members on the other node: p50(node B members) − p50(node A members), at
 *   the fixed rate, in the two-node run.
 *
 * On a machine with fewer than 4 cores both nodes share one core, so the throughput ratio
 * measures the cluster's overhead rather than scale-out (the report says so).
 */
import { startRedisServer, startTavern } from '../processes/servers.js';
import { goals, pairedFigure, pairRuns, singleFigure, type PairedRun, type ScenarioResult } from '../results.js';
import { fitConnections, notRun, round, SkipScenario, type SuiteContext } from './common.js';
import { fanoutWorkers, rateLimitNotes, runFanoutPlan, type FanoutRun } from './fanout.js';

export interface ClusterRun {
  nodes: 1 | 2;
  repeat: number;
  fanout: FanoutRun;
  maxDeliveredPerSec: number;
  fixedP50Local: number;
  fixedP50Remote: number | null;
  extraP50: number | null;
}

async function clusterOnce(ctx: SuiteContext, nodes: 1 | 2, repeat: number): Promise<ClusterRun> {
  const { cluster, fanout, tavernEnv, allowSource, profileDir } = ctx.options;
  const { layout } = ctx;
  await using workers = fanoutWorkers(ctx);
  await using redis = await startRedisServer(layout.redis);
  const starting = [
    startTavern({ cpus: layout.nodeA, redisUrl: redis.url, nodeId: 'node-a', env: tavernEnv, allowSource, profileDir }),
    nodes === 2 ? startTavern({ cpus: layout.nodeB, redisUrl: redis.url, nodeId: 'node-b', env: tavernEnv, allowSource, profileDir }) : Promise.resolve(null),
  ] as const;
  // Both start at once; if one fails, the other is stopped before the error goes on.
  const [startedA, startedB] = await Promise.allSettled(starting);
  if (startedA.status === 'rejected' || startedB.status === 'rejected') {
    if (startedA.status === 'fulfilled') await startedA.value.stop();
    if (startedB.status === 'fulfilled') await startedB.value?.stop();
    throw startedA.status === 'rejected' ? startedA.reason : (startedB as PromiseRejectedResult).reason;
  }
  await using nodeA = startedA.value;
  await using nodeB = startedB.value;
  const run = await runFanoutPlan(
    ctx,
    {
      label: nodes === 2 ? 'Tavern, two nodes' : 'Tavern, one node',
      members: fitConnections(ctx, cluster.members, 'two nodes'),
      senderUrl: nodeA.url,
      placeMember: (index) => (nodeB && index % 2 === 1 ? { url: nodeB.url, group: 'remote' } : { url: nodeA.url, group: 'local' }),
      deliveriesSteps: cluster.deliveriesSteps,
      fixedDeliveries: cluster.fixedDeliveries,
      stepMs: cluster.stepMs,
      p99LimitMs: fanout.p99LimitMs,
      servers: nodeB ? [nodeA, nodeB] : [nodeA],
      warmGroups: nodeB ? ['local', 'remote'] : ['local'],
      tag: `c${nodes}r${repeat}`,
    },
    workers,
    repeat,
  );
  const local = run.fixed.groups['local']?.p50 ?? Number.NaN;
  const remote = run.fixed.groups['remote']?.p50 ?? null;
  return {
    nodes,
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
  const title = '5. Two nodes over Redis against one node';
  const runs: ClusterRun[] = [];
  if (!ctx.targets.includes('tavern')) return notRun(id, title, new SkipScenario('Tavern is not among --targets'));
  try {
    for (let repeat = 0; repeat < ctx.options.repeats; repeat++) {
      // Interleaved like the other scenarios: two nodes (A), one node (B), A, B.
      for (const nodes of [2, 1] as const) {
        ctx.log(`  ${nodes} node(s) over Redis, ${ctx.options.cluster.members} members (run ${repeat + 1}/${ctx.options.repeats})`);
        const run = await clusterOnce(ctx, nodes, repeat);
        ctx.log(`    max ${run.maxDeliveredPerSec} deliveries/s at p99 ≤ ${ctx.options.fanout.p99LimitMs} ms; fixed rate p50 local ${run.fixedP50Local} ms${run.fixedP50Remote === null ? '' : `, other node ${run.fixedP50Remote} ms`}`);
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
  const pairs = (pick: (run: ClusterRun) => number): PairedRun[] => pairRuns(two, one, pick);
  const labels = { value: 'Tavern, two nodes', baseline: 'Tavern, one node' };
  const figures = [
    pairedFigure('total delivered msgs/s at p99 ≤ 100 ms', '/s', pairs((run) => run.maxDeliveredPerSec), goals.clusterThroughput, labels),
    pairedFigure('p50 at the fixed rate, members on the sender’s node', 'ms', pairs((run) => run.fixedP50Local), null, labels),
    singleFigure('extra p50 for members on the other node', 'ms', two.map((run) => run.extraP50 ?? Number.NaN), goals.clusterExtraP50, 'Tavern, two nodes'),
  ];
  const notes = [
    'both runs use the same kind of fresh Redis (stores and adapter); the sender is on node A; in the two-node run every other member is on node B',
  ];
  notes.push(...rateLimitNotes(runs.map((run) => run.fanout)));
  if (!ctx.layout.clusterSpread) {
    notes.push(`fewer than 4 cores: both nodes and Redis share one core, so the throughput ratio shows the cluster's overhead, not scale-out (${ctx.layout.note})`);
  }
  return { id, title, status: 'ok', figures, notes, runs };
}
