/**
 * The example game a studio would write (examples/dice-game), built from npm as a studio
 * would: the three packages packed, installed with npm into an empty folder with the example
 * copied in (nothing from the workspace), compiled with tsc (its type tests included), then
 * its server run as a real process and its client run against it.
 */
import type { AsyncApiDocument, Result } from '@tavern/protocol';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cp, lstat, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, assert, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_FOLDERS, packPackages, repoRoot, sh, type PackageName } from './pack.js';

const EXAMPLE = join(repoRoot, 'examples', 'dice-game');
const TYPE_TESTS = 'src/type-tests.ts';

interface Rolled {
  zoneId: string;
  userId: string;
  name: string;
  sides: number;
  value: number;
  at: number;
}
/** What `dist/client.js` prints. */
interface ClientOutput {
  roll: Result<Rolled>;
  rolled: Rolled;
  malformed: Result<Rolled>;
  flood: string[];
}

let work: string;
let app: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'tavern-dice-game-'));
  app = join(work, 'app');
  const names = Object.keys(PACKAGE_FOLDERS) as PackageName[];
  const tarballs = await packPackages(names, join(work, 'tarballs'));
  // Whatever a reader built or installed in the example's folder stays behind.
  await cp(EXAMPLE, app, { recursive: true, filter: (source) => !/[\\/](node_modules|dist)$/.test(source) });

  const manifest = JSON.parse(await readFile(join(app, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; overrides?: Record<string, string> };
  for (const name of names) {
    if (!manifest.dependencies[name]) throw new Error(`examples/dice-game does not depend on ${name}`);
    manifest.dependencies[name] = `file:../tarballs/${tarballs[name]}`;
  }
  // The packages ask for @tavern/protocol by version, which the registry does not serve: the tarball does.
  manifest.overrides = { '@tavern/protocol': '$@tavern/protocol' };
  await writeFile(join(app, 'package.json'), JSON.stringify(manifest, null, 2));
  await sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], app);
  await sh('npm', ['run', '--silent', 'build'], app);
}, 300_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the dice game, built from the packed packages', () => {
  it('installs the packed packages, not links to the workspace', async () => {
    for (const name of Object.keys(PACKAGE_FOLDERS)) {
      const folder = join(app, 'node_modules', name);
      expect((await lstat(folder)).isSymbolicLink(), name).toBe(false);
      const manifest = await readFile(join(folder, 'package.json'), 'utf8');
      expect(manifest, name).not.toMatch(/"(workspace|catalog):/);
    }
  });

  it('needs every @ts-expect-error of its type tests: without them, tsc fails on exactly those lines', async () => {
    // The build above passed, so no directive is unused; this shows they are not there for nothing.
    const source = await readFile(join(app, TYPE_TESTS), 'utf8');
    const lines = source.split('\n');
    const expected = lines.flatMap((line, index) => (/^\s*\/\/ @ts-expect-error\b/.test(line) ? [index + 2] : []));
    expect(expected.length).toBeGreaterThanOrEqual(5);
    const stripped = join(app, 'src', 'type-tests.stripped.ts');
    // Each directive becomes an empty line, so the line numbers stay.
    await writeFile(stripped, lines.map((line) => (/^\s*\/\/ @ts-expect-error\b/.test(line) ? '' : line)).join('\n'));
    let output = '';
    try {
      await sh(join(app, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json', '--noEmit'], app);
    } catch (error) {
      output = (error as Error).message;
    } finally {
      await unlink(stripped);
    }
    const failing = [...output.matchAll(/src\/(type-tests\.stripped\.ts|[\w.-]+\.ts)\((\d+),\d+\): error/g)].map(([, file, line]) => `${file}:${line}`);
    expect(failing.sort()).toEqual(expected.map((line) => `type-tests.stripped.ts:${line}`).sort());
  }, 120_000);
});

describe('the dice game server, as a process', () => {
  let server: ChildProcess;
  let url: string;

  beforeAll(async () => {
    server = spawn(process.execPath, ['dist/server.js', '0'], {
      cwd: app,
      // No JWT setting: dev mode, so the client gets its token from POST /dev/token.
      env: { PATH: process.env['PATH'] ?? '', NODE_ENV: 'development', HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the dice game server printed no listening line:\n${output}`)), 20_000);
      const read = (chunk: Buffer) => {
        output += chunk.toString();
        const address = /dice game listening on (http:\/\/\S+)/.exec(output)?.[1];
        if (address) {
          clearTimeout(timer);
          resolve(address);
        }
      };
      server.stdout?.on('data', read);
      server.stderr?.on('data', read);
      server.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`the dice game server exited (${code ?? signal}) before listening:\n${output}`));
      });
    });
  }, 30_000);

  afterAll(async () => {
    const { pid } = server ?? {};
    if (pid === undefined || server.exitCode !== null || server.signalCode !== null) return;
    const exited = once(server, 'exit');
    process.kill(pid, 'SIGTERM');
    // A graceful shutdown takes well under this; never leave the process behind.
    const timer = setTimeout(() => process.kill(pid, 'SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }, 15_000);

  it('answers a roll with a typed result, tells the zone, refuses a malformed roll and a flood', async () => {
    const stdout = await sh(process.execPath, ['dist/client.js', url, 'ada'], app, { timeoutMs: 20_000 });
    const output = JSON.parse(stdout) as ClientOutput;

    expect(output.roll).toMatchObject({ ok: true, data: { zoneId: 'tavern-district', userId: 'ada', sides: 20 } });
    assert(output.roll.ok);
    expect(output.roll.data.value).toBeGreaterThanOrEqual(1);
    expect(output.roll.data.value).toBeLessThanOrEqual(20);
    expect(output.rolled).toEqual(output.roll.data);

    expect(output.malformed).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });

    // Ten rolls at once: the dice slice's own bucket (burst 3) refuses most; the server's
    // default bucket (burst 40) would have let all ten through.
    expect(output.flood).toHaveLength(10);
    expect(output.flood).toContain('RATE_LIMITED');
    expect(output.flood.filter((code) => code === 'OK').length).toBeLessThanOrEqual(3);
    expect(output.flood.filter((code) => code !== 'OK' && code !== 'RATE_LIMITED')).toEqual([]);
  }, 30_000);

  it('serves the AsyncAPI document of the contract it runs, dice:roll in it', async () => {
    const response = await fetch(`${url}/asyncapi.json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as AsyncApiDocument & {
      info: { title: string };
      channels: Record<string, { address: string }>;
      operations: Record<string, { action: string; summary: string; reply?: unknown }>;
    };
    expect(document.info.title).toBe('Dice game');
    expect(document.channels['dice.roll']).toMatchObject({ address: 'dice:roll' });
    expect(document.channels['dice.rolled']).toMatchObject({ address: 'dice:rolled' });
    expect(document.operations['client.dice.roll']).toMatchObject({ action: 'send', summary: expect.stringContaining('Rolls a die'), reply: expect.anything() });
    // The built-in slices are there too: it is the whole contract of the server.
    expect(document.channels['zone.enter']).toMatchObject({ address: 'zone:enter' });
  });
});
