/** The machine a run happened on, and how its cores are shared between servers and load. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, type } from 'node:os';
import { hasTaskset } from './processes/spawn.js';

export interface Machine {
  nproc: number;
  /** The CPU ids this process may use (its affinity), which taskset pins to. */
  cpus: number[];
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
    cpus: allowedCpus(availableParallelism()),
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    node: process.version,
    loadAverage: Math.round((loadavg()[0] ?? 0) * 100) / 100,
    os: `${type()} ${release()}`,
    openFiles: Number.isFinite(openFiles) && openFiles > 0 ? openFiles : 1024,
    taskset: hasTaskset(allowedCpus(1)[0] ?? 0),
  };
}

export function coreLayout(machine: Machine): CoreLayout {
  const cpus = machine.cpus;
  if (!machine.taskset || cpus.length < 2) {
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
  const [first, second, third] = cpus.map(String) as [string, string, string | undefined];
  const last = String(cpus[cpus.length - 1]);
  if (cpus.length >= 4 && third !== undefined) {
    return {
      server: first,
      load: last,
      nodeA: first,
      nodeB: second,
      redis: third,
      clusterSpread: true,
      note: `servers on core ${first}, load generators on core ${last}; two nodes on cores ${first} and ${second}, Redis on core ${third}`,
    };
  }
  return {
    server: first,
    load: last,
    nodeA: first,
    nodeB: first,
    redis: first,
    clusterSpread: false,
    note: `servers on core ${first}, load generators on core ${last}; both nodes and Redis share core ${first} (fewer than 4 cores)`,
  };
}

/** The CPUs this process may run on (`Cpus_allowed_list`), or 0..nproc-1 without /proc. */
function allowedCpus(fallback: number): number[] {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const list = /^Cpus_allowed_list:\s*(\S+)/m.exec(status)?.[1];
    if (list) {
      const cpus = list.split(',').flatMap((part) => {
        const [from, to] = part.split('-').map(Number) as [number, number | undefined];
        return to === undefined ? [from] : Array.from({ length: to - from + 1 }, (_, index) => from + index);
      });
      if (cpus.length > 0 && cpus.every(Number.isInteger)) return cpus;
    }
  } catch {
    // not Linux
  }
  return Array.from({ length: fallback }, (_, index) => index);
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
