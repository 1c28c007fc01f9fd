/**
 * Starting the suite's Node programs (the load worker, the raw Socket.IO server) and the
 * Tavern server, pinned to a core with `taskset` when there is one. The suite runs from
 * `dist/` after `pnpm build`; under vitest it runs from source, and its programs through tsx.
 */
import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);
/** True when this module runs from TypeScript source (vitest, tsx), false from `dist/`. */
export const fromSource = here.endsWith('.ts');
/** The bench package's folder. */
export const benchRoot = fromSource ? join(dirname(here), '..', '..') : join(dirname(here), '..');
export const repoRoot = join(benchRoot, '..');

export type Program = 'worker' | 'raw-server' | 'rooms-worker' | 'tavern-rooms-server' | 'colyseus-server';

const SOURCES: Record<Program, string> = {
  worker: 'src/load/worker.ts',
  'raw-server': 'src/processes/raw-server.ts',
  'rooms-worker': 'src/load/rooms-worker.ts',
  'tavern-rooms-server': 'src/processes/tavern-rooms-server.ts',
  'colyseus-server': 'src/processes/colyseus-server.ts',
};

let tasksetAvailable: boolean | undefined;
/** True when `taskset` runs here (tried once, pinning `true` to `cpu`). */
export function hasTaskset(cpu = 0): boolean {
  tasksetAvailable ??= spawnSync('taskset', ['-c', String(cpu), 'true'], { stdio: 'ignore' }).status === 0;
  return tasksetAvailable;
}

/** Every process the suite started and that still runs: killed (by PID) when the suite exits. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

export function track(child: ChildProcess): ChildProcess {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const leftover of running) {
        if (leftover.pid !== undefined && leftover.exitCode === null && leftover.signalCode === null) {
          try {
            process.kill(leftover.pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }
    });
  }
  return child;
}

export interface SpawnOptions {
  /** A CPU list for `taskset -c` (for example `0`); ignored without taskset. */
  cpus?: string | null;
  env?: Record<string, string>;
  stdio?: StdioOptions;
  cwd?: string;
  nodeArgs?: string[];
}

/** Spawns `node <args>`, wrapped in `taskset -c <cpus>` so every thread of the process is pinned. */
export function spawnNode(args: string[], options: SpawnOptions = {}): ChildProcess {
  const command = [process.execPath, ...(options.nodeArgs ?? []), ...args];
  const pinned = options.cpus && hasTaskset() ? ['taskset', '-c', options.cpus, ...command] : command;
  const [file, ...rest] = pinned as [string, ...string[]];
  return track(
    spawn(file, rest, {
      cwd: options.cwd ?? benchRoot,
      env: { PATH: process.env['PATH'] ?? '', ...options.env },
      stdio: options.stdio ?? ['ignore', 'pipe', 'pipe'],
    }),
  );
}

/** The node arguments that run one of the bench's own programs (from `dist/`, or its source through tsx). */
export function programArgs(program: Program): string[] {
  if (fromSource) return ['--conditions=@tavern/source', '--import', 'tsx', join(benchRoot, SOURCES[program])];
  return [join(benchRoot, 'dist', `${program}.js`)];
}

/**
 * The node arguments that preload `probe.ts` (event-loop delay, GC pauses, memory) into a
 * server process; it reports to the file named by `BENCH_PROBE_FILE` in its environment.
 */
export function probeNodeArgs(): string[] {
  if (fromSource) return ['--import', 'tsx', '--import', join(benchRoot, 'src/processes/probe.ts')];
  return ['--import', join(benchRoot, 'dist', 'probe.js')];
}

/**
 * How to run the Tavern server: the built `apps/server/dist/main.js`, or (only when allowed,
 * for the smoke test from a checkout without a build) its source through tsx.
 */
export function tavernServerArgs(allowSource: boolean): { args: string[]; cwd: string; built: boolean } {
  const serverRoot = join(repoRoot, 'apps', 'server');
  const built = join(serverRoot, 'dist', 'main.js');
  if (existsSync(built)) return { args: [built], cwd: serverRoot, built: true };
  if (!allowSource) {
    throw new Error(`${built} is missing: run \`pnpm build\` first (or \`pnpm bench\`, which builds)`);
  }
  return { args: ['--conditions=@tavern/source', '--import', 'tsx', 'src/main.ts'], cwd: serverRoot, built: false };
}

/** Resolves with the exit code (or signal) of a child. */
export function exitOf(child: ChildProcess): Promise<number | string> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  if (child.signalCode !== null) return Promise.resolve(child.signalCode);
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 0)));
}

/**
 * Stops a child we started, by its PID, and waits for it: SIGKILL, or with `graceMs` first
 * SIGTERM (so a `--cpu-prof` profile gets written) and SIGKILL only if it is still there.
 */
export async function killChild(child: ChildProcess, graceMs = 0): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const pid = child.pid;
  const exited = exitOf(child);
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(pid, name);
    } catch {
      // already gone
    }
  };
  if (graceMs > 0) {
    signal('SIGTERM');
    const timer = setTimeout(() => signal('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
    return;
  }
  signal('SIGKILL');
  await exited;
}

/**
 * Waits for a line matching `pattern` on a child's stdout or stderr and returns the match.
 * Keeps the last 64 KiB of output for error messages.
 */
export function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs: number, what: string): { match: Promise<RegExpExecArray>; output: () => string } {
  let output = '';
  const match = new Promise<RegExpExecArray>((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => finish(new Error(`${what} did not start within ${timeoutMs} ms:\n${output.slice(-4000)}`)), timeoutMs);
    const finish = (error: Error | null, found?: RegExpExecArray) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(found as RegExpExecArray);
    };
    const onData = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-65_536);
      if (!done) {
        const found = pattern.exec(output);
        if (found) finish(null, found);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exitOf(child).then((code) => finish(new Error(`${what} exited (${code}) before it was ready:\n${output.slice(-4000)}`)));
  });
  return { match, output: () => output };
}
