// Proves that the boundary rules in eslint.config.js bite: the real config, run on real files of the tree whose
// text is replaced by a violating import (ESLint's lintText with the file's path, so type-aware rules still apply).
import { ESLint } from 'eslint';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const srcFile = join(root, 'src', 'api', 'result.ts');
const rendererFile = join(root, 'renderer', 'features', 'privacy', 'store.ts');

let eslint: ESLint;
beforeAll(() => {
  eslint = new ESLint({ cwd: root });
});

async function restrictedImports(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  if (result === undefined) throw new Error('ESLint returned no result');
  const fatal = result.messages.filter((m) => m.fatal === true);
  expect(fatal).toEqual([]);
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('lint boundaries', () => {
  it('accepts the files as they are (the control case)', async () => {
    expect(await restrictedImports(srcFile, readFileSync(srcFile, 'utf8'))).toEqual([]);
    expect(await restrictedImports(rendererFile, readFileSync(rendererFile, 'utf8'))).toEqual([]);
  });

  it.each([
    ["import { app } from 'electron';", 'Electron'],
    ["import { ipcRenderer } from 'electron/renderer';", 'Electron'],
    ["import { useState } from 'react';", 'React'],
    ["import { createRoot } from 'react-dom/client';", 'React'],
    ["import { windowOptions } from '../../main/window-options';", 'main/'],
    ["import { App } from '../../renderer/app/App';", 'renderer/'],
  ])('rejects in src/: %s', async (line, what) => {
    const messages = await restrictedImports(srcFile, `${line}\nexport const x = 1;\n`);
    expect(messages.join('\n')).toContain(what);
  });

  it.each([
    "import { readFileSync } from 'node:fs';",
    "import { connect } from 'net';",
    "import { spawn } from 'child_process';",
    "import { ipcRenderer } from 'electron';",
    "import { windowOptions } from '../../../main/window-options';",
  ])('rejects in renderer/: %s', async (line) => {
    const messages = await restrictedImports(rendererFile, `${line}\nexport const x = 1;\n`);
    expect(messages.length).toBeGreaterThan(0);
  });

  it('rejects `any` and files over 400 lines everywhere', async () => {
    const [anyResult] = await eslint.lintText('export function f(x: any): unknown { return x; }\n', { filePath: srcFile });
    expect(anyResult?.messages.map((m) => m.ruleId)).toContain('@typescript-eslint/no-explicit-any');
    const long = Array.from({ length: 401 }, (_, i) => `export const v${i} = ${i};`).join('\n') + '\n';
    const [longResult] = await eslint.lintText(long, { filePath: srcFile });
    expect(longResult?.messages.map((m) => m.ruleId)).toContain('max-lines');
  });
});
