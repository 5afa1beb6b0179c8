// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

/** Libraries that talk to the outside world: only adapters may import them. */
const ADAPTER_LIBS = ['kafkajs', 'ioredis', '@clickhouse/client', 'chdb', 'chdb/*', 'avsc'];
const restrict = (names, message) => names.map((name) => ({ group: [name], message }));

/** Layer rule: a zone's `target` may not import from `from`. */
const layer = (target, from, message) => ({ target, from, message });

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.cache/', '.featurestream/', 'coverage/', '.scratch/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver({ alwaysTryTypes: true })],
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-self-import': 'error',
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            layer(
              './src/core',
              './src/!(core)/**',
              'core is pure: it imports nothing outside src/core.',
            ),
            layer('./src/ports', './src/!(core|ports)/**', 'ports depend only on core.'),
            layer(
              './src/engine',
              './src/!(core|ports|engine|errors.ts)/**',
              'engine depends on core and ports only.',
            ),
            layer(
              './src/offline',
              './src/!(core|ports|engine|offline)/**',
              'offline depends on core, ports and engine only.',
            ),
            layer(
              './src/adapters',
              './src/(engine|cli|serving|offline)/**',
              'adapters implement ports; they do not call the engine or the CLI.',
            ),
          ],
        },
      ],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...restrict(ADAPTER_LIBS, 'Only src/adapters/ may import client libraries.'),
            ...restrict(['prom-client'], 'Only src/observability/ imports prom-client.'),
          ],
        },
      ],
    },
  },
  {
    files: ['src/adapters/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: restrict(['prom-client'], 'Only src/observability/ imports prom-client.') },
      ],
    },
  },
  {
    files: ['src/observability/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: restrict(ADAPTER_LIBS, 'Only src/adapters/ may import client libraries.') },
      ],
    },
  },
  {
    files: ['src/core/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                'node:*',
                'fs',
                'path',
                'os',
                'worker_threads',
                'child_process',
                'net',
                'http',
                'crypto',
                'events',
                'stream',
              ],
              message: 'core is pure: no node: imports, no I/O.',
            },
            ...restrict([...ADAPTER_LIBS, 'prom-client'], 'core is pure.'),
          ],
        },
      ],
    },
  },
  {
    // Tests and tooling may use real clients directly to check what the engine wrote.
    files: ['test/**', 'bench/**', 'scripts/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
