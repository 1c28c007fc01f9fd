import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TEST_JWT_SECRET } from './support/start-server-process.js';
import { startTestServer } from './support/start-test-server.js';

const serverRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Runs `src/cli/token.ts` (through tsx, like start-server-process) with only `env` set. */
function runTokenCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return run(process.execPath, ['--conditions=@tavern/source', '--import', 'tsx', 'src/cli/token.ts', ...args], env);
}

function run(command: string, args: string[], env: Record<string, string>, cwd = serverRoot): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(command, args, {
    cwd,
    env: { PATH: process.env['PATH'] ?? '', NODE_ENV: 'test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('pnpm jwt', () => {
  it('prints a token that a server with the same secret, issuer and audience accepts', async () => {
    const env = { JWT_SECRET: TEST_JWT_SECRET, JWT_ISSUER: 'https://auth.test', JWT_AUDIENCE: 'tavern-test' };
    const cli = await runTokenCli(['alice', '--name', 'Alice A.', '--roles', 'player,moderator', '--ttl', '120'], env);
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    const token = cli.stdout.trim();
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);

    await using server = await startTestServer({
      config: { auth: { jwt: { kind: 'secret', secret: TEST_JWT_SECRET }, issuer: env.JWT_ISSUER, audience: env.JWT_AUDIENCE } },
    });
    const socket = await server.connect('ignored', { token });
    expect(socket.ready).toMatchObject({ userId: 'alice', name: 'Alice A.' });
    expect(socket.ready.expiresAt - Date.now()).toBeLessThanOrEqual(120_000);

    // The same token with another audience configured is refused: the claims really are in it.
    await using other = await startTestServer({ config: { auth: { jwt: { kind: 'secret', secret: TEST_JWT_SECRET }, audience: 'elsewhere' } } });
    expect(await other.refuse({ token })).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('without JWT_SECRET exits 1 and says what is missing', async () => {
    const cli = await runTokenCli(['alice'], {});
    expect(cli.code).toBe(1);
    expect(cli.stdout).toBe('');
    expect(cli.stderr).toMatch(/JWT_SECRET is not set/);
  });

  it('with a bad argument exits 2 and prints the usage', async () => {
    const cli = await runTokenCli(['alice', '--roles', 'wizard'], { JWT_SECRET: TEST_JWT_SECRET });
    expect(cli.code).toBe(2);
    expect(cli.stderr).toMatch(/--roles/);
    expect(cli.stderr).toMatch(/usage: pnpm jwt <userId>/);
  });

  it('runs from the repository root as `pnpm jwt alice`, printing only the token (pnpm token is npm\'s command)', async () => {
    const repoRoot = join(serverRoot, '..', '..');
    const quiet = await run('pnpm', ['-s', 'jwt', 'alice', '--name', 'Alice'], { JWT_SECRET: TEST_JWT_SECRET }, repoRoot);
    expect(quiet.stderr).toBe('');
    expect(quiet.code).toBe(0);
    expect(quiet.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    // Without -s, pnpm echoes the script on stdout; stderr stays empty (no build banner).
    const plain = await run('pnpm', ['jwt', 'bob'], { JWT_SECRET: TEST_JWT_SECRET }, repoRoot);
    expect(plain.stderr).toBe('');
    expect(plain.stdout.trimEnd().split('\n').at(-1)).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it('scripts/jwt.sh runs the built CLI while dist is newer than the sources, else the sources', async () => {
    // A copy of the script in a tree shaped like the repository, whose two CLIs say which ran.
    const root = mkdtempSync(join(tmpdir(), 'tavern-jwt-sh-'));
    const server = join(root, 'apps', 'server');
    const protocol = join(root, 'packages', 'protocol');
    for (const dir of [join(server, 'scripts'), join(server, 'src', 'cli'), join(server, 'dist', 'cli'), join(protocol, 'src'), join(protocol, 'dist')]) {
      mkdirSync(dir, { recursive: true });
    }
    cpSync(join(serverRoot, 'scripts', 'jwt.sh'), join(server, 'scripts', 'jwt.sh'));
    symlinkSync(join(serverRoot, 'node_modules'), join(server, 'node_modules'));
    writeFileSync(join(server, 'src', 'cli', 'token.ts'), `process.stdout.write('source ' + process.argv.slice(2).join(' '));\n`);
    writeFileSync(join(protocol, 'src', 'index.ts'), '');
    writeFileSync(join(protocol, 'dist', 'index.js'), '');
    const built = join(server, 'dist', 'cli', 'token.js');
    writeFileSync(built, `process.stdout.write('dist ' + process.argv.slice(2).join(' '));\n`);
    const age = (path: string, secondsAgo: number) => utimesSync(path, new Date(Date.now() - secondsAgo * 1000), new Date(Date.now() - secondsAgo * 1000));
    for (const path of [join(server, 'src', 'cli', 'token.ts'), join(server, 'src', 'cli'), join(server, 'src'), join(protocol, 'src', 'index.ts'), join(protocol, 'src')]) {
      age(path, 60);
    }
    const script = () => run('sh', [join(server, 'scripts', 'jwt.sh'), 'alice', '--ttl', '60'], {}, root);

    expect((await script()).stdout).toBe('dist alice --ttl 60');
    age(built, 120); // a source changed after the build
    expect((await script()).stdout).toBe('source alice --ttl 60');
    age(built, 0);
    age(join(protocol, 'src', 'index.ts'), -5); // the protocol changed after the build
    expect((await script()).stdout).toBe('source alice --ttl 60');
  });
});
