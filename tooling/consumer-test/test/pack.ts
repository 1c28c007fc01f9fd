/**
 * What the consumer tests share: packing workspace packages as they would be published, and
 * running a command so that its failure carries its output (not just an exit code).
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The publishable packages and their folders in the workspace. */
export const PACKAGE_FOLDERS = {
  '@tavern/protocol': 'packages/protocol',
  '@tavern/client-sdk': 'packages/client-sdk',
  '@tavern/server': 'apps/server',
} as const;
export type PackageName = keyof typeof PACKAGE_FOLDERS;

/** Runs a command, failing with its output. */
export async function sh(file: string, args: string[], cwd: string, options: { timeoutMs?: number } = {}): Promise<string> {
  try {
    const { stdout } = await run(file, args, {
      cwd,
      maxBuffer: 16 * 1024 * 1024,
      env: { ...process.env, npm_config_update_notifier: 'false' },
      ...(options.timeoutMs !== undefined && { timeout: options.timeoutMs, killSignal: 'SIGKILL' }),
    });
    return stdout;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${file} ${args.join(' ')} failed in ${cwd}:\n${stdout ?? ''}\n${stderr ?? ''}`, { cause: error });
  }
}

/**
 * `pnpm pack`s each package into `destination` (one after the other: each tarball is found as
 * the file its run added) and returns the tarballs' file names by package name. pnpm pack
 * rewrites workspace:* and catalog: to real versions, as a publish would.
 */
export async function packPackages<N extends PackageName>(names: readonly N[], destination: string): Promise<Record<N, string>> {
  await mkdir(destination, { recursive: true });
  const tarballs = {} as Record<N, string>;
  for (const name of names) {
    const before = new Set(await readdir(destination));
    await sh('pnpm', ['pack', '--pack-destination', destination], join(repoRoot, PACKAGE_FOLDERS[name]));
    const tarball = (await readdir(destination)).find((file) => file.endsWith('.tgz') && !before.has(file));
    if (!tarball) throw new Error(`pnpm pack made no tarball for ${name}`);
    tarballs[name] = tarball;
  }
  return tarballs;
}
