// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.next/**', '**/.turbo/**', '**/src/generated/**', '**/next-env.d.ts', 'eslint.config.js', '**/test/fixtures/**', '**/bench/fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // Tests use non-null assertions on values the test itself just created.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // prom-client collect() callbacks bind `this` to the metric; the engine is reached through `self`.
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['self'] }],
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', name: ['describe', 'it', 'test', 'suite'], package: 'node:test' }] },
      ],
    },
  },
  {
    // One concept per module: a source file over 400 lines is doing more than one job. A file
    // that must be one says why at its top, with `/* eslint-disable max-lines -- <why> */`.
    // Tests are not held to it (a scenario reads best in one place).
    files: ['apps/*/src/**/*.{ts,tsx}', 'packages/*/src/**/*.ts'],
    ignores: ['**/*.test.ts', '**/src/generated/**'],
    rules: { 'max-lines': ['error', { max: 400 }] },
  },
);
