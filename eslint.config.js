// @ts-check
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// Every Node built-in, with and without the `node:` prefix: the renderer runs in a sandboxed page and
// may reach the core only through `window.cove`.
const nodeBuiltins = builtinModules.flatMap((m) => [m, `node:${m}`]);

/** Boundary rules of DEVELOPERS.md; test/unit/lint-boundaries.test.ts proves that each one bites. */
const srcBoundary = {
  paths: [
    { name: 'electron', message: 'src/ is the plain-Node core: no Electron import (put it in main/).' },
    { name: 'react', message: 'src/ is the plain-Node core: no React import (put it in renderer/).' },
    { name: 'react-dom', message: 'src/ is the plain-Node core: no React import (put it in renderer/).' },
  ],
  patterns: [
    { group: ['electron/*', 'react/*', 'react-dom/*'], message: 'src/ may not import Electron or React.' },
    { group: ['**/main', '**/main/**', '**/renderer', '**/renderer/**'], message: 'src/ may not import main/ or renderer/.' },
  ],
};

const rendererBoundary = {
  paths: [
    ...nodeBuiltins.map((name) => ({ name, message: 'renderer/ may not import Node built-ins: call window.cove.' })),
    { name: 'electron', message: 'renderer/ may not import Electron: call window.cove.' },
  ],
  patterns: [
    { group: ['node:*'], message: 'renderer/ may not import Node built-ins: call window.cove.' },
    { group: ['electron/*'], message: 'renderer/ may not import Electron: call window.cove.' },
    { group: ['**/main', '**/main/**'], message: 'renderer/ may not import main/.' },
  ],
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'out/**', 'renderer/dist/**', 'test-results/**', '.rig-logs/**'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    rules: {
      'max-lines': ['error', { max: 400 }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  { files: ['src/**'], rules: { 'no-restricted-imports': ['error', srcBoundary] } },
  {
    files: ['renderer/**'],
    ignores: ['renderer/vite.config.ts'],
    languageOptions: { globals: { ...globals.browser } },
    rules: { 'no-restricted-imports': ['error', rendererBoundary] },
  },
);
