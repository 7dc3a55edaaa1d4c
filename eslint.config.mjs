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
              group: ['**/sidecar/**', '!**/sidecar/protocol.ts'],
              message:
                'The extension and the webviews import from the sidecar only sidecar/protocol.ts (types and the tables both ends need); the engine stays in the sidecar process.',
            },
          ],
        },
      ],
    },
  },
);
