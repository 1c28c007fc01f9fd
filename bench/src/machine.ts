/** The machine a run happened on, and how its cores are shared between servers and load. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, type } from 'node:os';
import { hasTaskset } from './processes/spawn.js';

export interface Machine {
  nproc: number;
  cpuModel: string;
  node: string;
  os: string;
  /** 1-minute load average when the run started. */
  loadAverage: number;
  /** `ulimit -n` (soft) that child processes inherit. */
  openFiles: number;
  taskset: boolean;
}

export interface CoreLayout {
  /** taskset CPU lists; null when processes are not pinned. */
  server: string | null;
  load: string | null;
  /** The two-node scenario: where node A, node B and Redis run. */
  nodeA: string | null;
  nodeB: string | null;
  redis: string | null;
  /** True when node A and node B have a core each (needs 4 cores: A, B, Redis, load). */
  clusterSpread: boolean;
  note: string;
}

export function describeMachine(): Machine {
  const limit = spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' });
  const openFiles = limit.stdout.trim() === 'unlimited' ? Number.POSITIVE_INFINITY : Number(limit.stdout.trim());
  return {
    nproc: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    node: process.version,
    loadAverage: Math.round((loadavg()[0] ?? 0) * 100) / 100,
    os: `${type()} ${release()}`,
    openFiles: Number.isFinite(openFiles) && openFiles > 0 ? openFiles : 1024,
    taskset: hasTaskset(),
  };
}

export function coreLayout(machine: Machine): CoreLayout {
  if (!machine.taskset || machine.nproc < 2) {
    return {
      server: null,
      load: null,
      nodeA: null,
      nodeB: null,
      redis: null,
      clusterSpread: false,
      note: machine.taskset ? 'one core: nothing pinned' : 'no taskset: nothing pinned',
    };
  }
  const last = String(machine.nproc - 1);
  if (machine.nproc >= 4) {
    return {
      server: '0',
      load: last,
      nodeA: '0',
      nodeB: '1',
      redis: '2',
      clusterSpread: true,
      note: `servers on core 0, load generators on core ${last}; two nodes on cores 0 and 1, Redis on core 2`,
    };
  }
  return {
    server: '0',
    load: last,
    nodeA: '0',
    nodeB: '0',
    redis: '0',
    clusterSpread: false,
    note: `servers on core 0, load generators on core ${last}; both nodes and Redis share core 0 (fewer than 4 cores)`,
  };
}

/** File descriptors one process may use for bench connections, leaving room for everything else. */
export function connectionBudget(machine: Machine): number {
  return Math.max(0, machine.openFiles - 256);
}

function cpuTimes(): { busy: number; total: number } {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal ...
    const total = fields.slice(0, 8).reduce((sum, value) => sum + value, 0);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return { busy: Number.NaN, total: Number.NaN };
  }
}

/**
 * How busy the machine is without us: the share of all cores in use over `ms` while the
 * suite itself is idle (NaN without /proc). Other work on the box makes every figure noisy.
 */
export async function backgroundLoad(ms: number): Promise<number> {
  const before = cpuTimes();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = cpuTimes();
  const total = after.total - before.total;
  return total > 0 ? (after.busy - before.busy) / total : Number.NaN;
}
