/**
 * What a browser app downloads: the built SDK (dist, as an app resolves it) bundled for the
 * browser with esbuild, tree-shaken as a production build would be. The client must not pull
 * in zod or the protocol's schemas unless the app imports them itself.
 */
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The files (node_modules or workspace paths) that put code into a bundle of `code`. */
async function bundledInputs(code: string): Promise<string[]> {
  const result = await build({
    stdin: { contents: code, resolveDir: root, loader: 'ts' },
    bundle: true,
    write: false,
    metafile: true,
    minify: true,
    platform: 'browser',
    format: 'esm',
    external: ['react'],
    logLevel: 'silent',
  });
  // Inputs that esbuild read but tree-shook away entirely contribute no bytes.
  return Object.values(result.metafile.outputs).flatMap((output) =>
    Object.entries(output.inputs)
      .filter(([, input]) => input.bytesInOutput > 0)
      .map(([file]) => file),
  );
}

describe('a browser bundle of the SDK', () => {
  it('holds no zod and no schema: only the zod-free protocol entry', async () => {
    const inputs = await bundledInputs(`
      import { ChannelSync, ClientError, createClient, ErrorCode, parseRoom, PROTOCOL_VERSION, rooms, SessionTracker } from './dist/index.js';
      import { TavernProvider, useChannel, usePokerSession } from './dist/react/index.js';
      console.log(ChannelSync, ClientError, createClient, ErrorCode, PROTOCOL_VERSION, SessionTracker, TavernProvider, useChannel, usePokerSession, rooms.zone('z'), parseRoom('zone:z'));
    `);
    expect(inputs.some((file) => file.includes('socket.io-client'))).toBe(true);
    expect(inputs.filter((file) => /[/\\]zod[/\\]/.test(file))).toEqual([]);
    expect(inputs.filter((file) => file.includes('protocol') && !/protocol[/\\]dist[/\\](codes|chunk-[\w-]+)\.js$/.test(file))).toEqual([]);
  });

  it('holds the schemas once the app imports them (the check above can fail)', async () => {
    const inputs = await bundledInputs(`
      import { createClient } from './dist/index.js';
      import { builtInContract } from '@tavern/protocol';
      console.log(createClient({ url: '/', getToken: () => '', contract: builtInContract, validate: true }));
    `);
    expect(inputs.some((file) => /[/\\]zod[/\\]/.test(file))).toBe(true);
  });
});
