/**
 * The layer rule of the root eslint.config.js (`boundaries/dependencies`) must keep refusing
 * what it was written to refuse: a feature importing another feature's folder or anything of
 * the server but api.ts, and
 * `platform/` importing `transport/`, `auth/` or anything else above it. Each snippet is linted as if it were a file
 * in that folder, with only the layer rule (typed linting would need the file on disk); a
 * second check proves the real configuration turns that rule on for the server's files.
 */
import { ESLint, type Linter } from 'eslint';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import tseslint from 'typescript-eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const src = join(repoRoot, 'apps/server/src');
const RULE = 'boundaries/dependencies';

let eslint: ESLint;

beforeAll(async () => {
  const { layers } = (await import(pathToFileURL(join(repoRoot, 'eslint.config.js')).href)) as { layers: Linter.Config };
  eslint = new ESLint({
    cwd: repoRoot,
    overrideConfigFile: true,
    overrideConfig: [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } }, layers],
  });
});

/** The layer errors of `code` as a file at `path` (relative to apps/server/src). */
async function layerErrors(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(src, path) });
  const messages = result?.messages ?? [];
  const other = messages.filter((message) => message.ruleId !== RULE);
  expect(other, 'the snippet should only break the layer rule').toEqual([]);
  return messages.map((message) => message.message);
}

describe('features do not import each other', () => {
  it("refuses a feature importing another feature's folder", async () => {
    const errors = await layerErrors('features/poker/layers-probe.ts', "import { ChatService } from '../chat/chat.service.js';\nexport { ChatService };\n");
    expect(errors).toEqual([expect.stringMatching(/^features\/poker may not import the folder of features\/chat: use its service through context.services/)]);
  });

  it('refuses a feature importing the composition (features/index.ts, lifecycle/)', async () => {
    const errors = await layerErrors(
      'features/poker/layers-probe.ts',
      "import { builtInFeatures } from '../index.js';\nimport { shutDown } from '../../lifecycle/shutdown.js';\nexport { builtInFeatures, shutDown };\n",
    );
    expect(errors).toHaveLength(2);
  });

  it('refuses a feature reaching past api.ts into the layers below', async () => {
    const errors = await layerErrors(
      'features/poker/layers-probe.ts',
      "import { randomId } from '../../platform/ids.js';\nimport { defineFeature } from '../feature.js';\nexport { defineFeature, randomId };\n",
    );
    expect(errors).toEqual([
      expect.stringMatching(/^features\/poker may use the server only through api\.ts \(what a studio's feature gets too\), not '\.\.\/\.\.\/platform\/ids\.js'/),
      expect.stringMatching(/^features\/poker may use the server only through api\.ts .*'\.\.\/feature\.js'/),
    ]);
  });

  it('lets a feature use its own folder, api.ts and packages', async () => {
    const errors = await layerErrors(
      'features/poker/layers-probe.ts',
      [
        "import { pokerSlice } from '@tavern/protocol';",
        "import { z } from 'zod';",
        "import { AppError, characterIdOf, defineFeature, randomId, type Config, type RoomService } from '../../api.js';",
        "import { pokerSettings } from './poker.settings.js';",
        'export type { Config, RoomService };',
        'export { AppError, characterIdOf, defineFeature, pokerSettings, pokerSlice, randomId, z };',
      ].join('\n'),
    );
    expect(errors).toEqual([]);
  });
});

describe('platform/ is the lowest layer', () => {
  it('refuses platform/ importing transport/ or auth/', async () => {
    const errors = await layerErrors(
      'platform/layers-probe.ts',
      "import { createDispatcher } from '../transport/dispatcher.js';\nimport type { TokenVerifier } from '../auth/token-verifier.js';\nexport { createDispatcher, type TokenVerifier };\n",
    );
    expect(errors).toEqual([
      expect.stringMatching(/^platform\/ is the lowest layer and may not import '\.\.\/transport\/dispatcher\.js'/),
      expect.stringMatching(/^platform\/ is the lowest layer and may not import '\.\.\/auth\/token-verifier\.js'/),
    ]);
  });

  it('refuses platform/ importing config.ts or a feature', async () => {
    const errors = await layerErrors(
      'platform/layers-probe.ts',
      "import type { Config } from '../config.js';\nimport { chatFeature } from '../features/chat/chat.feature.js';\nexport { chatFeature, type Config };\n",
    );
    expect(errors).toEqual([expect.stringContaining("may not import '../config.js'"), expect.stringContaining("may not import '../features/chat/chat.feature.js'")]);
  });

  it('lets platform/ import platform/ and packages', async () => {
    const errors = await layerErrors('platform/layers-probe.ts', "import { ErrorCode } from '@tavern/protocol';\nimport { AppError } from './app-error.js';\nexport { AppError, ErrorCode };\n");
    expect(errors).toEqual([]);
  });
});

describe('the layers below features do not reach up', () => {
  it('refuses transport/ importing a feature or the composition', async () => {
    const errors = await layerErrors(
      'transport/layers-probe.ts',
      "import type { AnyFeature } from '../features/feature.js';\nimport { createRealtimeServer } from '../create-realtime-server.js';\nexport { createRealtimeServer, type AnyFeature };\n",
    );
    expect(errors).toHaveLength(2);
  });
});

it('is on, as an error, for every file of the server in the real configuration', async () => {
  const real = new ESLint({ cwd: repoRoot });
  for (const file of ['features/poker/poker.feature.ts', 'platform/record-store.ts', 'transport/dispatcher.ts']) {
    const config = (await real.calculateConfigForFile(join(src, file))) as Linter.Config;
    expect(config.rules?.[RULE], file).toEqual([2, expect.objectContaining({ default: 'disallow' })]);
  }
});
