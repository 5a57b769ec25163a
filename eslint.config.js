// ESLint for the whole repository (flat config): the recommended rules of ESLint, typescript-eslint
// (syntax only, no type information: tsc already checks types in `npm run check`, and a typed lint
// would double its time) and eslint-plugin-svelte, plus `layering/rooms`, the rooms table of
// docs/DEVELOPING.md as a rule, so an editor flags a forbidden import as it is typed.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { layeringPlugin } from './scripts/layering.mjs';

export default defineConfig(
  { ignores: ['dist/', 'out/', 'test-artifacts/', '.dplab-cache/', 'node_modules/', 'src-main/engine/wasm/**/*.js'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  svelte.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `_name` says "unused on purpose", and `{ omitted, ...rest }` is how a field is dropped.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // Off: the code writes two small updates as one statement, `(a = x), (b = y)`.
      '@typescript-eslint/no-unused-expressions': 'off',
      // Off: names, Slurm comments and terminal text are checked for control characters on purpose.
      'no-control-regex': 'off',
    },
  },
  {
    files: ['src-renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] } },
    rules: {
      // Off: the stores keep Sets and Maps in $state.raw and replace them whole (copy, change,
      // assign); the rule cannot tell that from mutation and would have them all SvelteSets.
      'svelte/prefer-svelte-reactivity': 'off',
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    // A CommonJS file (the fake Electron the shell tests preload with --require) loads by require().
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['src-main/**/*.ts', 'src-renderer/src/**/*.ts', 'src-renderer/src/**/*.svelte'],
    plugins: { layering: layeringPlugin },
    rules: { 'layering/rooms': 'error' },
    // The table's hash: ESLint's cache (`npm run lint`) keys on the config, so editing the table re-lints every file.
    settings: { layeringTable: createHash('sha256').update(readFileSync(new URL('./docs/DEVELOPING.md', import.meta.url))).digest('hex') },
  },
);
