/**
 * The README's "Add a feature" walk-through, built and run from its text: every ```ts block
 * of the section names its file on its first line (`// apps/server/src/features/dice/...`);
 * the blocks are written to a temporary folder laid out like apps/server (relative imports
 * of anything the README does not write point at the real sources), type-checked with the
 * project's compiler options, and the README's test is imported so that it runs here, as
 * written, through real sockets.
 *
 * The folder is outside src/ and test/, so that no other vitest or tsc run picks it up.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const serverRoot = join(here, '..');
const README = join(serverRoot, '../../README.md');
const OUT = join(serverRoot, '.readme-feature');
const HEADING = '## Add a feature';
const FILE_MARKER = /^\/\/ apps\/server\/(\S+\.ts)$/;

interface ReadmeFile {
  /** Relative to apps/server, as the README names it. */
  path: string;
  code: string;
}

/** The section's ```ts blocks, each with the file its first line names; a block without one throws. */
function filesOf(readme: string): ReadmeFile[] {
  const start = readme.indexOf(`\n${HEADING}\n`);
  if (start < 0) throw new Error(`no "${HEADING}" section in the README`);
  const rest = readme.slice(start + HEADING.length + 2);
  const end = rest.search(/^## /m);
  const section = end < 0 ? rest : rest.slice(0, end);
  return [...section.matchAll(/^( *)```ts\n([\s\S]*?)^\1```$/gm)].map(([, indent = '', body = '']) => {
    const code = body.replace(new RegExp(`^${indent}`, 'gm'), '');
    const path = FILE_MARKER.exec(code.split('\n', 1)[0] ?? '')?.[1];
    if (!path) throw new Error(`a ts block under "${HEADING}" does not start with // apps/server/<file>.ts:\n${code}`);
    return { path, code };
  });
}

/**
 * The code with each relative import of a file the README does not write made relative to
 * the real one: the README's files read as if they stood in apps/server/src/features/dice.
 */
function pointAtSources(file: ReadmeFile, written: ReadonlySet<string>): string {
  return file.code.replace(/(from |import\()'(\.{1,2}\/[^']+)'/g, (match, keyword: string, specifier: string) => {
    const target = relative(serverRoot, resolve(serverRoot, dirname(file.path), specifier));
    if (written.has(target.replace(/\.js$/, '.ts'))) return match;
    const real = relative(dirname(join(OUT, file.path)), join(serverRoot, target)).split(sep).join('/');
    return `${keyword}'${real.startsWith('.') ? real : `./${real}`}'`;
  });
}

function typeErrors(files: readonly string[]): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(join(serverRoot, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
  if (!config) throw new Error('cannot read tsconfig.json');
  const program = ts.createProgram(files, { ...config.options, noEmit: true });
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const where = diagnostic.file ? `${relative(OUT, diagnostic.file.fileName)}(${diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line + 1}): ` : '';
    return where + ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
  });
}

const files = filesOf(await readFile(README, 'utf8'));
const written = new Set(files.map((file) => file.path));
await rm(OUT, { recursive: true, force: true });
for (const file of files) {
  await mkdir(dirname(join(OUT, file.path)), { recursive: true });
  await writeFile(join(OUT, file.path), pointAtSources(file, written));
}
const testFile = files.find((file) => file.path.endsWith('.test.ts'));

afterAll(() => rm(OUT, { recursive: true, force: true }));

describe(`README "${HEADING.slice(3)}"`, () => {
  it('is a slice, a feature and a test in one feature folder, and nothing else', () => {
    expect(files.map((file) => file.path).sort()).toEqual([
      'src/features/dice/dice.feature.ts',
      'src/features/dice/dice.slice.ts',
      'src/features/dice/dice.test.ts',
    ]);
  });

  it('type-checks against the sources', () => {
    expect(typeErrors(files.map((file) => join(OUT, file.path)))).toEqual([]);
  }, 120_000);
});

// The README's own test, imported: its `it` is collected into this file and runs as written.
if (testFile) await import(pathToFileURL(join(OUT, testFile.path)).href);
