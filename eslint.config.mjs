// ESLint (flat config): the recommended JavaScript and typescript-eslint rules, and the
// module boundary between the two ends of the product (docs/architecture.md): the
// extension and the webview scripts reach the sidecar only through its protocol module.
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
              // The run folder is a file format both processes read: the extension host lists runs
              // and replays them (Runs view, CodeLens, dashboard) through its one module, with
              // plain fs and no TF.js, so that showing them starts no sidecar.
              regex: '(^|/)sidecar/(?!protocol\\.ts$|engine/store/runFolder\\.ts$)',
              message:
                'The extension and the webviews import from the sidecar only sidecar/protocol.ts (types and the tables both ends need) and the run-folder reader (engine/store/runFolder.ts); the engine stays in the sidecar process.',
            },
          ],
        },
      ],
    },
  },
);
