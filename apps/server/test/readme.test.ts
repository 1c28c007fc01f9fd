/**
 * The README's "SDK in ten lines" is code people paste first, so it is compiled and run here:
 * taken from the README as written, pointed at a test server, type-checked with the
 * project's compiler options and executed, while another user watches the channel.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { next, request, startTestServer } from './support/start-test-server.js';

const here = dirname(fileURLToPath(import.meta.url));
const README = join(here, '../../../README.md');
const OUT = join(here, '.readme');

/** The first ```ts block under the heading, with the heading's line count checked. */
async function exampleUnder(heading: string): Promise<string> {
  const readme = await readFile(README, 'utf8');
  const section = readme.slice(readme.indexOf(`## ${heading}`));
  const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  if (!code || !readme.includes(`## ${heading}`)) throw new Error(`no ts block under "${heading}" in the README`);
  return code;
}

function typeErrors(file: string): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(join(here, '../tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
  if (!config) throw new Error('cannot read tsconfig.json');
  const program = ts.createProgram([file], { ...config.options, noEmit: true });
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

describe('README', () => {
  afterAll(() => rm(OUT, { recursive: true, force: true }));

  it('the SDK example is ten lines that compile and chat', async () => {
    const code = await exampleUnder('The SDK in ten lines');
    expect(code.trim().split('\n').length).toBeLessThanOrEqual(10);
    expect(code).toContain("'http://localhost:3001'");

    await mkdir(OUT, { recursive: true });
    const file = join(OUT, 'example.ts');
    // Exported so the test can close it; the example itself is left as a reader would paste it.
    const write = (url: string) => writeFile(file, `${code.replace("'http://localhost:3001'", JSON.stringify(url))}\nexport { client };\n`);
    // Type-checked first, before any timed wait starts: on a loaded machine this alone can take longer than the wait.
    await write('http://127.0.0.1:1');
    expect(typeErrors(file)).toEqual([]);

    await using server = await startTestServer();
    const watcher = await server.connect('watcher');
    expect(await request(watcher, 'chat:join', { channelId: 'global:main' })).toMatchObject({ ok: true });
    await write(server.url);
    const seen = next(watcher, 'chat:message', 10_000);
    const { client } = (await import(file)) as { client: { close(): void } };
    try {
      expect(await seen).toMatchObject({ senderId: 'alice', content: 'hello, tavern', channelId: 'global:main' });
    } finally {
      client.close();
    }
  }, 120_000);
});
