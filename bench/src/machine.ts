/** The machine a run happened on, and how its cores are shared between servers and load. */
import { spawnSync } from 'node:child_process';
import { availableParallelism, cpus, release, type } from 'node:os';
import { hasTaskset } from './processes/spawn.js';

export interface Machine {
  nproc: number;
  cpuModel: string;
  node: string;
  os: string;
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
