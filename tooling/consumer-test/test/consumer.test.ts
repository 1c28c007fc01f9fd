/**
 * What a consumer of the published packages gets: `pnpm pack` both packages, install the
 * tarballs with npm into an empty project (nothing from the workspace), type-check a small
 * client with tsc (strict; Node16 and bundler resolution), run its compiled JS against a
 * real server, and require() the SDK from CommonJS.
 */
import { startTestServer } from '@tavern/server/testing';
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packPackages, sh } from './pack.js';

const here = dirname(fileURLToPath(import.meta.url));
const PACKAGES = ['@tavern/protocol', '@tavern/client-sdk'] as const;

let work: string;
let app: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'tavern-consumer-'));
  const tarballs = join(work, 'tarballs');
  app = join(work, 'app');
  await mkdir(app, { recursive: true });

  const dependencies: Record<string, string> = {};
  for (const [name, tarball] of Object.entries(await packPackages(PACKAGES, tarballs))) {
    dependencies[name] = `file:../tarballs/${tarball}`;
  }
  const typescript = (await import('typescript')).version;
  await writeFile(
    join(app, 'package.json'),
    JSON.stringify(
      {
        name: 'tavern-consumer',
        private: true,
        type: 'module',
        dependencies,
        devDependencies: { typescript, '@types/node': '^20' },
        // client-sdk asks for @tavern/protocol by version, which is not on the registry: the tarball serves it.
        overrides: { '@tavern/protocol': '$@tavern/protocol' },
      },
      null,
      2,
    ),
  );
  await copyFile(join(here, 'fixture', 'client.ts'), join(app, 'client.ts'));
  await copyFile(join(here, 'fixture', 'tsconfig.json'), join(app, 'tsconfig.json'));
  await sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], app);
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the packed packages in an empty project', () => {
  it('contain only dist and package files', async () => {
    for (const name of PACKAGES) {
      const files = await readdir(join(app, 'node_modules', name));
      expect(files.sort()).toEqual(expect.arrayContaining(['dist', 'package.json']));
      expect(files).not.toContain('src');
    }
  });

  it('type-check a strict client with Node16 and with bundler resolution', async () => {
    const tsc = join(app, 'node_modules', '.bin', 'tsc');
    await sh(tsc, ['-p', 'tsconfig.json'], app);
    await sh(tsc, ['-p', 'tsconfig.json', '--noEmit', '--skipLibCheck', '--module', 'preserve', '--moduleResolution', 'bundler'], app);
  });

  it('run against a real server: session:ready and a successful ack', async () => {
    await using server = await startTestServer();
    const token = await server.token('consumer', { name: 'Consumer' });
    const stdout = await sh(process.execPath, ['dist/client.js', server.url, token], app);
    const output = JSON.parse(stdout) as { session: { userId: string; name: string }; sync: { ok: boolean; data?: { serverTime: number } }; codes: number; clientError: string };
    expect(output.session).toMatchObject({ userId: 'consumer', name: 'Consumer' });
    expect(output.sync).toMatchObject({ ok: true, data: { serverTime: expect.any(Number) } });
    expect(output.codes).toBeGreaterThan(5);
    expect(output.clientError).toBe('function');
  });

  it('load with require() from CommonJS, the React entry included', async () => {
    await copyFile(join(here, 'fixture', 'require.cjs'), join(app, 'require.cjs'));
    const output = JSON.parse(await sh(process.execPath, ['require.cjs'], app)) as { state: string; codes: number; version: number; clientError: string; main: string; react: string };
    expect(output).toMatchObject({ state: 'idle', version: 1, clientError: 'function' });
    expect(output.codes).toBeGreaterThan(5);
    expect(output.main).toMatch(/client-sdk[/\\]dist[/\\]index\.cjs$/);
    expect(output.react).toMatch(/client-sdk[/\\]dist[/\\]react[/\\]index\.cjs$/);
  });
});
