/**
 * Start-up through the real process (`src/main.ts` run by tsx, as an operator runs it): a bad
 * setting, a port in use or an unknown host stops it with exit code 1 and one line on stderr
 * that names the variable, never a stack trace; `.env` in the working directory is loaded
 * under the real environment.
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { EnvError, loadEnvironment, serverEnvNames } from '../src/env.js';
import { builtInFeatures } from '../src/features/index.js';
import { freePort } from './support/free-port.js';
import { startRedis } from './support/start-redis.js';

const serverRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Processes still running when a test gave up (a timeout skips its disposers): stopped by PID. */
const running = new Set<number>();
afterAll(() => {
  for (const pid of running) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // exited since
    }
  }
});

interface Exit {
  code: number | NodeJS.Signals;
  stdout: string;
  stderr: string;
}

interface Running extends AsyncDisposable {
  /** Resolves with the `listening` log line once the port is bound; rejects if the process exits first. */
  listening: Promise<Record<string, unknown>>;
  exited: Promise<Exit>;
  stdout: () => string;
  /** Resolves with stdout once it matches `pattern`; rejects if the process exits first. */
  waitFor: (pattern: RegExp) => Promise<string>;
}

/**
 * Runs the server with only `env` (plus PATH) in `cwd`, which defaults to a fresh empty
 * folder: no `.env` from a developer's checkout leaks in. Stopped by its PID on dispose.
 */
function runServer(env: Record<string, string>, cwd = mkdtempSync(join(tmpdir(), 'tavern-startup-'))): Running {
  const child = spawn(
    process.execPath,
    ['--conditions=@tavern/source', '--import', pathToFileURL(join(serverRoot, 'node_modules/tsx/dist/loader.mjs')).href, join(serverRoot, 'src/main.ts')],
    {
      cwd,
      env: { PATH: process.env['PATH'] ?? '', TSX_TSCONFIG_PATH: join(serverRoot, 'tsconfig.json'), HOST: '127.0.0.1', PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  if (child.pid) running.add(child.pid);
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => {
      if (child.pid) running.delete(child.pid);
      resolve({ code: code ?? signal ?? 0, stdout, stderr });
    }),
  );
  const listening = new Promise<Record<string, unknown>>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n').find((candidate) => candidate.includes('"msg":"listening"'));
      if (line) resolve(JSON.parse(line) as Record<string, unknown>);
    });
    void exited.then(({ code }) => reject(new Error(`exited (${code}) before listening:\n${stdout}\n${stderr}`)));
  });
  listening.catch(() => {});
  const waitFor = (pattern: RegExp) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        if (pattern.test(stdout)) resolve(stdout);
      };
      child.stdout.on('data', check);
      check();
      void exited.then(({ code }) => reject(new Error(`exited (${code}) before ${String(pattern)}:\n${stdout}\n${stderr}`)));
    });
  return {
    listening,
    exited,
    stdout: () => stdout,
    waitFor,
    async [Symbol.asyncDispose]() {
      if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
      await exited;
    },
  };
}

/** Runs the server, expecting it to refuse to start: exit 1, and what it wrote. */
async function refusal(env: Record<string, string>, cwd?: string): Promise<{ stderr: string; stdout: string }> {
  await using server = runServer(env, cwd);
  const { code, stderr, stdout } = await server.exited;
  expect(stderr, 'no stack trace').not.toMatch(/^\s+at /m);
  expect(stdout, 'never said it listens').not.toMatch(/"msg":"listening"/);
  expect(code).toBe(1);
  return { stderr, stdout };
}

/** The one line a refusal wrote on stderr. */
async function refusalLine(env: Record<string, string>, cwd?: string): Promise<string> {
  const { stderr } = await refusal(env, cwd);
  expect(stderr.endsWith('\n')).toBe(true);
  const lines = stderr.slice(0, -1).split('\n');
  expect(lines).toHaveLength(1);
  return lines[0] ?? '';
}

async function occupiedPort(): Promise<Server & AsyncDisposable> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(server, { [Symbol.asyncDispose]: () => new Promise<void>((resolve) => server.close(() => resolve())) });
}

describe('start-up with a bad setting', () => {
  it('TRUST_PROXY=garbage names the variable and the entry', async () => {
    expect(await refusalLine({ TRUST_PROXY: 'loopback,garbage' })).toBe(
      'tavern: TRUST_PROXY: invalid IP address: garbage (expected addresses, CIDRs, or loopback, linklocal, uniquelocal)',
    );
  });

  it('JWT_PUBLIC_KEY=notapem says it is not a PEM public key; a wrong kind of key is named too', async () => {
    expect(await refusalLine({ JWT_PUBLIC_KEY: 'notapem' })).toMatch(/^tavern: JWT_PUBLIC_KEY: not a PEM public key \(/);
    const ed25519 = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(await refusalLine({ JWT_PUBLIC_KEY: ed25519 })).toBe('tavern: JWT_PUBLIC_KEY: an ed25519 key: expected RSA (RS256) or EC P-256 (ES256)');
  });

  it('JWT_PUBLIC_KEY_FILE names the file it cannot read or cannot use', async () => {
    expect(await refusalLine({ JWT_PUBLIC_KEY_FILE: '/nope/jwt.pub' })).toBe('tavern: JWT_PUBLIC_KEY_FILE: cannot read /nope/jwt.pub (ENOENT)');
    const dir = mkdtempSync(join(tmpdir(), 'tavern-key-'));
    writeFileSync(join(dir, 'jwt.pub'), 'not a key');
    expect(await refusalLine({ JWT_PUBLIC_KEY_FILE: join(dir, 'jwt.pub') })).toMatch(/^tavern: JWT_PUBLIC_KEY_FILE: \/.*jwt\.pub: not a PEM public key/);
  });

  it('WORLD_ZONES_FILE=/nope names the variable and the file', async () => {
    expect(await refusalLine({ WORLD_ZONES_FILE: '/nope' })).toBe('tavern: WORLD_ZONES_FILE: cannot read /nope (ENOENT)');
  });

  it('PORT=abc says what a port is', async () => {
    expect(await refusalLine({ PORT: 'abc' })).toBe('tavern: PORT: must be a whole number from 0 to 65535');
  });

  it('several bad settings are listed under one heading', async () => {
    const { stderr } = await refusal({ PORT: 'abc', TRUST_PROXY: 'garbage', WORLD_ZONES_FILE: '/nope' });
    expect(stderr.trimEnd().split('\n')).toEqual([
      'tavern: invalid environment:',
      '  - PORT: must be a whole number from 0 to 65535',
      expect.stringMatching(/^ {2}- TRUST_PROXY: invalid IP address: garbage/),
      '  - WORLD_ZONES_FILE: cannot read /nope (ENOENT)',
    ]);
  });
});

describe('start-up when the address cannot be bound', () => {
  it('a port in use is one line naming PORT, and nothing said it was listening', async () => {
    await using taken = await occupiedPort();
    const { port } = taken.address() as { port: number };
    expect(await refusalLine({ PORT: String(port) })).toBe(`tavern: PORT: cannot listen on 127.0.0.1:${port}: the port is in use (EADDRINUSE)`);
  });

  it('an unknown HOST is one line naming HOST', async () => {
    expect(await refusalLine({ HOST: 'nope.invalid' })).toMatch(
      /^tavern: HOST: cannot listen on nope\.invalid:0: the host name (does not resolve|could not be resolved) \((ENOTFOUND|EAI_AGAIN|EAI_FAIL)\)$/,
    );
  });

  it('a HOST address that is not on this machine is one line naming HOST', async () => {
    // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never assigned to a machine.
    expect(await refusalLine({ HOST: '192.0.2.1' })).toBe('tavern: HOST: cannot listen on 192.0.2.1:0: the address is not on this machine (EADDRNOTAVAIL)');
  });
});

describe('Redis at start-up', () => {
  it('with REDIS_REQUIRED=true, a Redis that does not answer is one line and exit 1', async () => {
    const port = await freePort(); // nothing listens there
    const env = { REDIS_URL: `redis://:hunter2@127.0.0.1:${port}`, REDIS_REQUIRED: 'true', REDIS_STARTUP_WAIT_MS: '500' };
    expect(await refusalLine(env)).toBe(
      `tavern: REDIS_URL: redis at 127.0.0.1:${port} did not answer within 500 ms and REDIS_REQUIRED is true (unset it to start degraded and recover when Redis answers)`,
    );
  });

  it('by default, a Redis that does not answer leaves the node started but not ready', async () => {
    const port = await freePort();
    await using server = runServer({ REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_STARTUP_WAIT_MS: '500' });
    const { port: httpPort } = (await server.listening) as { port: number };
    const ready = await fetch(`http://127.0.0.1:${httpPort}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ reason: 'redis unavailable' });
  });

  it('with REDIS_REQUIRED=true and Redis up, the node starts ready', async () => {
    await using redis = await startRedis();
    await using server = runServer({ REDIS_URL: redis.url, REDIS_REQUIRED: 'true' });
    const { port } = (await server.listening) as { port: number };
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
  });
});

/** A fresh folder holding `.env` with `content`. */
function folderWithDotEnv(content: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tavern-dotenv-'));
  writeFileSync(join(dir, '.env'), content);
  return dir;
}

/** The JSON log lines a server wrote, by message. */
function logLines(stdout: string, msg: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line['msg'] === msg);
}

describe('.env in the working directory', () => {
  it('is loaded under the real environment, which wins; quoted values may span lines', async () => {
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString().trim();
    const dir = folderWithDotEnv(`# Tavern\nNODE_ID=from-dotenv\n\nexport FEATURES=poker\nJWT_PUBLIC_KEY="${pem}"\n`);
    await using server = runServer({ FEATURES: 'chat' }, dir);
    const listening = await server.listening;
    expect(listening['nodeId']).toBe('from-dotenv');
    const [started] = logLines(server.stdout(), 'tavern server started');
    expect(started?.['features']).toContain('chat');
    expect(started?.['features']).not.toContain('poker');
    const loaded = logLines(server.stdout(), 'loaded .env');
    expect(loaded).toHaveLength(1);
    expect(loaded[0]?.['file']).toBe(join(dir, '.env'));
    expect((loaded[0]?.['variables'] as string[]).sort()).toEqual(['JWT_PUBLIC_KEY', 'NODE_ID']);
    // The multi-line key arrived whole: the server verifies with it instead of running in dev mode.
    expect(server.stdout()).not.toMatch(/DEV MODE/);
  });

  it('missing is fine, and with NODE_ENV=test it is not read at all', async () => {
    {
      await using server = runServer({});
      expect((await server.listening)['msg']).toBe('listening');
      expect(logLines(server.stdout(), 'loaded .env')).toEqual([]);
    }
    await using server = runServer({ NODE_ENV: 'test' }, folderWithDotEnv('PORT=abc\n'));
    expect((await server.listening)['msg']).toBe('listening');
  });

  it('a malformed or unreadable one is one line naming the file and the line, without its content', async () => {
    const junk = folderWithDotEnv('PORT=0\nJWT_SECRET hunter2-hunter2-hunter2-hunter2-hunter2\n');
    const line = await refusalLine({}, junk);
    expect(line).toBe(`tavern: ${join(junk, '.env')}:2: expected NAME=value, a # comment or a blank line`);
    const unclosed = folderWithDotEnv('NODE_ID="tavern-1\nPORT=0\n');
    expect(await refusalLine({}, unclosed)).toBe(`tavern: ${join(unclosed, '.env')}:1: the value's opening " is never closed`);
    const folder = mkdtempSync(join(tmpdir(), 'tavern-dotenv-'));
    mkdirSync(join(folder, '.env'));
    expect(await refusalLine({}, folder)).toBe(`tavern: ${join(folder, '.env')}: cannot read it (EISDIR)`);
  });
});

/** Runs the server under a pseudo-terminal (util-linux `script`), as a developer at a terminal does, until `done` matches. */
async function runInTerminal(env: Record<string, string>, done: RegExp): Promise<string> {
  const command = [process.execPath, '--conditions=@tavern/source', '--import', pathToFileURL(join(serverRoot, 'node_modules/tsx/dist/loader.mjs')).href, join(serverRoot, 'src/main.ts')]
    .map((part) => `'${part}'`)
    .join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], {
    cwd: mkdtempSync(join(tmpdir(), 'tavern-tty-')),
    env: { PATH: process.env['PATH'] ?? '', TSX_TSCONFIG_PATH: join(serverRoot, 'tsconfig.json'), HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: script and the server under it are stopped together
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let output = '';
  try {
    return await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (done.test(output)) resolve(output);
      });
      void exited.then(() => reject(new Error(`exited before ${String(done)}:\n${output}`)));
    });
  } finally {
    if (child.pid && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
    await exited;
  }
}

describe('logs', () => {
  it('are JSON when stdout is not a terminal, even in development, with one nodeId on every line', async () => {
    await using server = runServer({ NODE_ENV: 'development', NODE_ID: 'node-a' });
    await server.listening;
    const lines = server.stdout().trimEnd().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(3); // DEV MODE, started, listening
    for (const line of lines) {
      expect(line.match(/"nodeId":/g), line).toHaveLength(1);
      const entry = JSON.parse(line) as Record<string, unknown>;
      expect(entry['nodeId']).toBe('node-a');
      expect(entry).not.toHaveProperty('node');
    }
  });

  it('are pretty in development at a terminal, and LOG_FORMAT=json keeps them JSON there', async () => {
    const pretty = await runInTerminal({ NODE_ENV: 'development', NODE_ID: 'node-b' }, /INFO.*listening/);
    expect(pretty).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] \S*INFO\S*: \S*listening/m);
    expect(pretty).toMatch(/nodeId: "node-b"/);
    expect(pretty).not.toMatch(/^\{"level"/m);
    const json = await runInTerminal({ NODE_ENV: 'development', LOG_FORMAT: 'json' }, /"msg":"listening"/);
    expect(json).toMatch(/^\{"level":30,.*"msg":"listening"/m);
  });

  it('LOG_FORMAT=pretty is pretty through a pipe too', async () => {
    await using server = runServer({ LOG_FORMAT: 'pretty', NODE_ENV: 'test' });
    expect(await server.waitFor(/INFO.*: listening/)).not.toMatch(/^\{/m);
  });
});

/**
 * A value each variable refuses. A variable not listed is tried with `not-a-valid-value`;
 * `null` marks free text that any value is valid for (HOST is checked when listening).
 */
const BAD_VALUES: Record<string, string | null> = {
  HOST: null,
  JWT_ISSUER: null,
  JWT_AUDIENCE: null,
  CHAT_PROFANITY: null,
  OTEL_SERVICE_NAME: null,
  NODE_ID: 'has spaces',
  REDIS_KEY_PREFIX: 'has spaces',
  REDIS_REQUIRED: 'maybe',
  LOG_FORMAT: 'xml',
  JWT_SECRET: 'too-short',
  REDIS_URL: 'http://127.0.0.1:6379',
  MAX_MESSAGE_BYTES: '10',
  SESSION_RESUME_MS: '-1',
  CORS_ORIGINS: 'https://game.example.com,game.example.com',
  MATCHMAKING_MODES: '{"duel":{"teamSize":0,"teams":2}}',
};

describe('every variable', () => {
  const variables = [...serverEnvNames, ...builtInFeatures.flatMap((feature) => Object.keys(feature.settings?.env ?? {}))];

  it.each(variables.filter((name) => BAD_VALUES[name] !== null))('%s refuses a bad value with one line naming it', (name) => {
    const value = BAD_VALUES[name] ?? 'not-a-valid-value';
    let problems: string[] = [];
    try {
      loadEnvironment({ [name]: value });
    } catch (error) {
      if (!(error instanceof EnvError)) throw error;
      problems = error.problems;
    }
    expect(problems, `${name}=${value} should be refused; if any text is valid for it, add it to BAD_VALUES as null`).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${name}: \\S`));
    expect(problems[0]).not.toContain('\n');
    expect(problems[0], 'a human message, not a zod type error').not.toMatch(/received NaN/);
  });

  it("a feature's variable out of its range is named too", () => {
    expect(() => loadEnvironment({ WORLD_TICK_MS: '1' })).toThrow(/^WORLD_TICK_MS: Too small: expected number to be >=16$/);
  });

  it('every one of them is refused together, through the process, one line each under one heading', async () => {
    const env = Object.fromEntries(variables.filter((name) => BAD_VALUES[name] !== null).map((name) => [name, BAD_VALUES[name] ?? 'not-a-valid-value']));
    // FEATURES=not-a-valid-value stops before the features' variables are read: run them all.
    const { stderr } = await refusal({ ...env, FEATURES: 'mmorpg' });
    const lines = stderr.trimEnd().split('\n');
    expect(lines[0]).toBe('tavern: invalid environment:');
    const named = lines.slice(1).map((line) => /^ {2}- ([A-Z0-9_]+): /.exec(line)?.[1]);
    expect(named.sort()).toEqual(Object.keys(env).filter((name) => name !== 'FEATURES').sort());
  });
});
