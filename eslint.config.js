// ESLint flat config: typescript-eslint's type-checked rules, plus the layer
// rule from conventions.md: http → registry → storage | metadata | events,
// with oci/ pure and importable everywhere. Only http/ knows Fastify.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const layer = (files, forbidden, message) => ({
  files,
  rules: {
    'no-restricted-imports': [
      'error',
      { patterns: forbidden.map((group) => ({ group: [group], message })) },
    ],
  },
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/ban-ts-comment': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
      // Interface implementations are async by contract even when one needs no await.
      '@typescript-eslint/require-await': 'off',
    },
  },
  layer(['src/oci/**'], ['../*', 'fastify'], 'oci/ is pure spec code: it imports nothing from other layers.'),
  layer(['src/storage/**', 'src/metadata/**', 'src/events/**'], ['../registry/*', '../http/*', '../auth/*', 'fastify'], 'storage, metadata and events sit below registry and http.'),
  layer(['src/storage/**'], ['../metadata/*'], 'storage and metadata are independent boxes.'),
  layer(['src/metadata/**'], ['../storage/*'], 'storage and metadata are independent boxes.'),
  layer(['src/registry/**', 'src/artifact-types/**'], ['../http/*', 'fastify'], 'registry code never knows HTTP.'),
  layer(['src/artifact-types/**'], ['../registry/*', '../storage/*', '../metadata/*'], 'artifact types are pure: identify and validate, no I/O layers.'),
  layer(['src/auth/**'], ['../http/*', '../registry/*', '../storage/*', '../metadata/*', 'fastify'], 'auth decides who may do what; only http/ turns decisions into responses.'),
  {
    files: ['src/cli/**', 'bench/**', 'scripts/**', 'test/**'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['**/*.test.ts', 'test/**', '**/conformance/**'],
    rules: {
      '@typescript-eslint/no-floating-promises': 'off', // node:test's describe/it return promises by design
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
