/**
 * Real nginx (Debian's) in front of Tavern nodes, rendered from deploy/nginx.conf.template,
 * on a free port, in a temporary prefix; stopped by its PID.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';

const template = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'deploy', 'nginx.conf.template');
const NGINX = process.env['NGINX_BIN'] ?? '/usr/sbin/nginx';

export interface TestNginx extends AsyncDisposable {
  readonly url: string;
  readonly port: number;
}

export async function startNginx(upstreamPorts: readonly number[]): Promise<TestNginx> {
  const port = await freePort();
  const prefix = mkdtempSync(join(tmpdir(), 'tavern-nginx-'));
  const config = readFileSync(template, 'utf8')
    .replaceAll('{{PREFIX}}', prefix)
    .replaceAll('{{LISTEN}}', `127.0.0.1:${port}`)
    .replaceAll('{{UPSTREAMS}}', upstreamPorts.map((upstream) => `    server 127.0.0.1:${upstream} max_fails=1 fail_timeout=2s;`).join('\n'));
  const file = join(prefix, 'nginx.conf');
  writeFileSync(file, config);
  const child = spawn(NGINX, ['-p', prefix, '-c', file, '-e', join(prefix, 'error.log')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${output}`);
    if (Date.now() > deadline) throw new Error(`nginx did not listen on ${port}: ${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    async [Symbol.asyncDispose]() {
      if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGTERM');
      await exited;
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
