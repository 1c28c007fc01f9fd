// One lint configuration for the whole workspace: typed rules where they catch real bugs
// (floating promises above all), nothing that only argues about style.
import boundaries from 'eslint-plugin-boundaries';
import { join } from 'node:path';
import tseslint from 'typescript-eslint';

const server = 'apps/server/src';

/**
 * The server's layers point one way. Lowest first; each imports only from itself and the
 * layers below it, plus @tavern/protocol and npm packages:
 *
 * 1. platform     platform/: logger, redis, metrics, ids, clock, settings, app-error, record
 *                 store, http app, cluster adapter. Nothing else of the server.
 * 2. core         transport/ auth/ connections/ rooms/ realtime/ hooks/, and config.ts (the
 *                 Config shape, which names the hooks' config).
 * 3. feature API  features/feature.ts (defineFeature, the context, the handler types) and
 *                 api.ts, which re-exports it with every helper a feature may use. api.ts is
 *                 what @tavern/server exports to a studio.
 * 4. a feature    features/<name>/: its own folder and api.ts, nothing else of the server, so
 *                 a built-in feature can do no more than a studio's. Never another feature's
 *                 folder: a feature uses another through `context.services` (TavernServices).
 * 5. composition  features/index.ts and compose.ts, lifecycle/, create-realtime-server.ts,
 *                 presets.ts, env.ts, main.ts, index.ts, cli/: they may import every layer
 *                 and no layer may import them (so they are classified as nothing, and an
 *                 import of an unclassified file is refused: `checkUnknownLocals`).
 *
 * eslint-plugin-boundaries classifies folders (elements) and single files (categories) by
 * path, and finds each import's file through the TypeScript resolver (`./x.js` is `x.ts`).
 * `apps/server/test/layers.test.ts` proves a violation of each kind fails.
 */
export const layers = {
  files: [`${server}/**/*.ts`],
  plugins: { boundaries },
  settings: {
    'boundaries/root-path': import.meta.dirname,
    'import/resolver': { typescript: { project: join(import.meta.dirname, 'apps/server/tsconfig.json') } },
    'boundaries/elements': [
      { type: 'platform', pattern: `${server}/platform`, partialMatch: false },
      { type: 'core', pattern: `${server}/{transport,auth,connections,rooms,realtime,hooks}`, partialMatch: false },
      { type: 'feature', pattern: `${server}/features/*`, partialMatch: false, capture: ['feature'] },
    ],
    'boundaries/files': [
      { category: 'config', pattern: `${server}/config.ts` },
      { category: 'feature-api', pattern: `${server}/features/feature.ts` },
      { category: 'public-api', pattern: `${server}/api.ts` },
      { category: 'test', pattern: `${server}/**/*.test.ts` },
      { category: 'test-support', pattern: 'apps/server/test/support/**' },
    ],
    // Workspace packages are dependencies like npm packages, not layers of the server.
    'boundaries/flag-as-external': { customSourcePatterns: ['@tavern/*'] },
  },
  rules: {
    'boundaries/dependencies': [
      'error',
      {
        default: 'disallow',
        checkUnknownLocals: true,
        policies: [
          { from: { element: { type: 'platform' } }, allow: { to: { element: { type: 'platform' } } } },
          {
            from: { element: { type: 'core' } },
            allow: { to: [{ element: { types: { anyOf: ['platform', 'core'] } } }, { file: { categories: 'config' } }] },
          },
          { from: { file: { categories: 'config' } }, allow: { to: { element: { type: 'core' } } } },
          {
            from: { file: { categories: 'feature-api' } },
            allow: { to: [{ element: { types: { anyOf: ['platform', 'core'] } } }, { file: { categories: 'config' } }] },
          },
          {
            from: { file: { categories: 'public-api' } },
            allow: { to: [{ element: { types: { anyOf: ['platform', 'core'] } } }, { file: { categories: { anyOf: ['config', 'feature-api'] } } }] },
          },
          {
            from: { element: { type: 'feature' } },
            allow: {
              to: [
                { file: { categories: 'public-api' } },
                { element: { type: 'feature', captured: { feature: '{{ from.element.captured.feature }}' } } },
              ],
            },
          },
          // The two mistakes the layers exist to stop, refused again with a message that says what to do.
          {
            from: { element: { type: 'feature' } },
            disallow: { to: { element: { type: 'feature', captured: { feature: '!{{ from.element.captured.feature }}' } } } },
            message:
              'features/{{ from.element.captured.feature }} may not import the folder of features/{{ to.element.captured.feature }}: ' +
              'use its service through context.services (TavernServices), or move the shared type to a layer below the features',
          },
          {
            from: { element: { type: 'feature' } },
            disallow: { to: [{ element: { types: { anyOf: ['platform', 'core'] } } }, { file: { categories: { anyOf: ['config', 'feature-api'] } } }] },
            message:
              "features/{{ from.element.captured.feature }} may use the server only through api.ts (what a studio's feature gets too), not '{{ dependency.source }}': export what it needs from api.ts",
          },
          {
            from: { element: { type: 'platform' } },
            disallow: { to: [{ element: { type: '!platform' } }, { element: { isUnknown: true } }] },
            message: "platform/ is the lowest layer and may not import '{{ dependency.source }}': give it what it needs as a parameter, or move that code into platform/",
          },
          // Tests beside the code may use the harness (which imports the whole server).
          { from: { file: { categories: 'test' } }, allow: { to: { file: { categories: 'test-support' } } } },
        ],
      },
    ],
  },
};

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', '**/.turbo/**', '**/coverage/**', '**/*.config.*', '**/*.mjs', '**/*.cjs'],
  },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
      '@typescript-eslint/only-throw-error': 'off',
      'no-console': 'error',
    },
  },
  {
    files: ['**/*.test.ts', '**/*.test-d.ts', '**/test/**', '**/scripts/**', '**/bench/**', '**/examples/**'],
    rules: {
      'no-console': 'off',
      '@typescript-eslint/no-unused-expressions': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  layers,
);
