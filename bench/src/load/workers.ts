/** The orchestrator's side of a load-generator worker: a child process spoken to over IPC. */
import type { ChildProcess } from 'node:child_process';
import { exitOf, killChild, programArgs, spawnNode, type Program } from '../processes/spawn.js';
import { Histogram } from './histogram.js';
import { emptyTally, mergeTally, type WorkerCommands, type WorkerStats } from './commands.js';
import type { CommandMap, IpcRequest, IpcResponse } from './ipc.js';

/** A load-generator process: `worker` (chat, zones) with `WorkerCommands` unless another program and map are given. */
export class Worker<C extends CommandMap<C> = WorkerCommands> implements AsyncDisposable {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private exitError: Error | null = null;

  private constructor(
    private readonly child: ChildProcess,
    readonly name: string,
  ) {
    child.on('message', (message: IpcResponse) => {
      const pending = this.pending.get(message.id);
      if (!pending) return;
      this.pending.delete(message.id);
      if (message.ok) pending.resolve(message.result);
      else pending.reject(new Error(`worker ${name}: ${message.error}`));
    });
    void exitOf(child).then((code) => {
      this.exitError = new Error(`worker ${name} exited (${code})`);
      for (const pending of this.pending.values()) pending.reject(this.exitError);
      this.pending.clear();
    });
  }

  static start(name: string, cpus: string | null): Worker {
    return Worker.program<WorkerCommands>('worker', name, cpus);
  }

  static program<M extends CommandMap<M>>(program: Program, name: string, cpus: string | null): Worker<M> {
    const child = spawnNode(programArgs(program), { cpus, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return new Worker<M>(child, name);
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  call<K extends keyof C & string>(command: K, args: C[K][0]): Promise<C[K][1]> {
    if (this.exitError) return Promise.reject(this.exitError);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ id, command, args } satisfies IpcRequest);
    });
  }

  async stop(): Promise<void> {
    await killChild(this.child);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

/** Merged statistics of several workers. */
export interface MergedStats {
  latency: Map<string, Histogram>;
  all: Histogram;
  chatMessages: number;
  chatMessagesByGroup: Record<string, number>;
  snapshots: number;
  probeSnapshots: number;
  probePositions: number;
  moved: number;
  corrections: number;
  otherEvents: number;
  errors: WorkerStats['errors'];
  serverCloses: number;
  openClients: number;
  /** The busiest worker's share of one core since its last reset. */
  maxWorkerCoreShare: number;
}

export async function collectStats(workers: readonly Worker[]): Promise<MergedStats> {
  const all = await Promise.all(workers.map((worker) => worker.call('stats', {})));
  const merged: MergedStats = {
    latency: new Map(),
    all: new Histogram(),
    chatMessages: 0,
    chatMessagesByGroup: {},
    snapshots: 0,
    probeSnapshots: 0,
    probePositions: 0,
    moved: 0,
    corrections: 0,
    otherEvents: 0,
    errors: emptyTally(),
    serverCloses: 0,
    openClients: 0,
    maxWorkerCoreShare: 0,
  };
  for (const stats of all) {
    for (const [group, data] of Object.entries(stats.latency)) {
      let histogram = merged.latency.get(group);
      if (!histogram) {
        histogram = new Histogram();
        merged.latency.set(group, histogram);
      }
      histogram.merge(data);
      merged.all.merge(data);
    }
    for (const [group, count] of Object.entries(stats.chatMessagesByGroup)) {
      merged.chatMessagesByGroup[group] = (merged.chatMessagesByGroup[group] ?? 0) + count;
    }
    merged.chatMessages += stats.chatMessages;
    merged.snapshots += stats.snapshots;
    merged.probeSnapshots += stats.probeSnapshots;
    merged.probePositions += stats.probePositions;
    merged.moved += stats.moved;
    merged.corrections += stats.corrections;
    merged.otherEvents += stats.otherEvents;
    mergeTally(merged.errors, stats.errors);
    merged.serverCloses += stats.serverCloses;
    merged.openClients += stats.openClients;
    if (stats.wallMs > 0) merged.maxWorkerCoreShare = Math.max(merged.maxWorkerCoreShare, stats.cpuMs / stats.wallMs);
  }
  return merged;
}

export async function resetAll(workers: readonly Worker[]): Promise<void> {
  await Promise.all(workers.map((worker) => worker.call('reset', {})));
}
