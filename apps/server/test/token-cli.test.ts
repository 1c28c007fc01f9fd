import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TEST_JWT_SECRET } from './support/start-server-process.js';
import { startTestServer } from './support/start-test-server.js';

const serverRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Runs `src/cli/token.ts` (through tsx, like start-server-process) with only `env` set. */
function runTokenCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--conditions=@tavern/source', '--import', 'tsx', 'src/cli/token.ts', ...args], {
    cwd: serverRoot,
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

describe('pnpm token', () => {
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
    expect(cli.stderr).toMatch(/usage: pnpm token <userId>/);
  });
});
