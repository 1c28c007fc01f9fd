/**
 * A Tavern server in its own Node process (`src/main.ts`, or another `entry`, run through tsx,
 * so no build is needed), for what an in-process server cannot show: SIGTERM, SIGKILL, exit codes.
 * The process is stopped by its PID on dispose.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTokenVerifier } from '../../src/auth/token-verifier.js';
import { resolveConfig } from '../../src/config.js';

const serverRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The HS256 secret test clusters share, so one token works on every node. */
export const TEST_JWT_SECRET = 'tavern-test-secret-0123456789abcdef-0123456789';

export interface ServerProcess extends AsyncDisposable {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** Everything the process printed so far (pino JSON lines). */
  readonly output: () => string;
  /** Signs a token with `TEST_JWT_SECRET` (or the `JWT_SECRET` given in `env`). */
  token(userId: string, claims?: Record<string, unknown>, ttlSeconds?: number): Promise<string>;
  kill(signal?: NodeJS.Signals): void;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | NodeJS.Signals>;
  /** Resident memory of the process in MB (from /proc). */
  rssMb(): number;
}

/** A node with the test room types (test/support/room-node.ts), for `entry`. */
export const ROOM_NODE = 'test/support/room-node.ts';

export async function startServerProcess(env: Record<string, string> = {}, { entry = 'src/main.ts' }: { entry?: string } = {}): Promise<ServerProcess> {
  const secret = env['JWT_SECRET'] ?? TEST_JWT_SECRET;
  const child: ChildProcess = spawn(process.execPath, ['--conditions=@tavern/source', '--import', 'tsx', entry], {
    cwd: serverRoot,
    env: {
      PATH: process.env['PATH'] ?? '',
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
      JWT_SECRET: secret,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | NodeJS.Signals>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 0));
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Never leave a process behind that the caller has no handle on.
      child.kill('SIGKILL');
      reject(new Error(`server process did not listen in time:\n${output}`));
    }, 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"msg":"listening"/.test(output) ? /"port":(\d+)[^\n]*"msg":"listening"/.exec(output) : null;
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server process exited (${code}) before listening:\n${output}`));
    });
  });
  const verifier = createTokenVerifier(resolveConfig({ auth: { jwt: { kind: 'secret', secret } } }).auth);
  const pid = child.pid ?? 0;
  const kill = (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) process.kill(pid, signal);
  };
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    pid,
    output: () => output,
    token: (userId, claims = {}, ttlSeconds = 3600) => verifier.sign!({ ...claims, sub: userId }, ttlSeconds),
    kill,
    exited,
    rssMb: () => {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
    },
    async [Symbol.asyncDispose]() {
      kill('SIGKILL');
      await exited;
    },
  };
}
