// ESLint (flat config): the recommended JavaScript and typescript-eslint rules, and the
// module boundaries of docs/architecture.md ("Boundaries"): the protocol is a leaf, the
// engine knows neither the protocol nor the layers above it, the use cases know no
// front end, the run-folder layout (sidecar/runLayout/) is a TF.js-free leaf, and the
// extension and the webview scripts reach the sidecar only through the protocol module
// and that layout. test/unit/import-graph.test.ts checks the same on the resolved
// import graph, with no cycle anywhere.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.tmp/**', 'runs/**', 'test/artifacts/**', '**/*.generated.ts', 'sidecar/kernels/assembly/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        console: 'readonly',
        process: 'readonly',
        performance: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        URL: 'readonly',
        Buffer: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    files: ['extension/**/*.ts', 'media/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              // The contract both processes share: the protocol, and the run folder as a file format
              // (sidecar/runLayout/: the extension lists and replays runs with plain fs and no TF.js,
              // so that showing them starts no sidecar).
              regex: '(^|/)sidecar/(?!protocol\\.ts$|runLayout/)',
              message:
                'The extension and the webviews import from the sidecar only sidecar/protocol.ts (types and the tables both ends need) and the run-folder layout sidecar/runLayout/ (read with plain fs); the engine stays in the sidecar process.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['sidecar/protocol.ts', 'sidecar/protocol.generated.ts', 'sidecar/restorationTasks.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!\\./(protocol\\.generated|restorationTasks)\\.ts$)',
              message:
                'The protocol is a leaf: plain data types and names (generated from schemas/ecvae-protocol.schema.json) and the restoration task table, importing nothing else.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['sidecar/runLayout/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!node:|jsonc-parser$|\\./[^/]+\\.ts$|\\.\\./protocol(\\.generated)?\\.ts$)',
              message:
                'The run-folder layout is a leaf both processes load (the extension without TF.js): node builtins, jsonc-parser, the protocol and its own folder, nothing else.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['sidecar/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+(protocol(\\.generated)?\\.ts$|(app|server|cli|language)/)',
              message:
                'The engine imports neither the protocol nor the layers above it (sidecar/app, server, cli, language): the use cases map engine values to protocol values.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['sidecar/app/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^\\.\\./(server|cli|language)/',
              message: 'The use cases know no front end: the CLI and the JSON-RPC server call them, not the other way round.',
            },
          ],
        },
      ],
    },
  },
);
