// Proves that the boundary rules in eslint.config.js bite: the real config, run on real files of the tree whose
// text is replaced by a violating import (ESLint's lintText with the file's path, so type-aware rules still apply).
import { ESLint } from 'eslint';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const srcFile = join(root, 'src', 'api', 'result.ts');
const rendererFile = join(root, 'renderer', 'features', 'privacy', 'store.ts');
const xmppFile = join(root, 'src', 'xmpp', 'socket.ts');
const netFile = join(root, 'src', 'net', 'direct.ts');
const torControlFile = join(root, 'src', 'tor', 'control', 'client.ts');
const bridgeFile = join(root, 'src', 'bridge', 'sockets.ts');

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

  describe('network boundary: only src/net/ opens connections or resolves names', () => {
    it('accepts the files that may use the network modules as they are (control case)', async () => {
      for (const file of [netFile, xmppFile, torControlFile]) expect(await restrictedImports(file, readFileSync(file, 'utf8')), file).toEqual([]);
    });

    it.each([
      "import { connect } from 'node:net';",
      "import net from 'net';",
      "import * as net from 'node:net';",
      "import { lookup } from 'node:dns';",
      "import { resolve4 } from 'dns/promises';",
      "import { resolveSrv } from 'node:dns/promises';",
      "import { createSocket } from 'node:dgram';",
      "import { request } from 'node:http';",
      "import https from 'https';",
      "import { connect as h2 } from 'node:http2';",
      "export { connect } from 'node:net';",
    ])('rejects in src/xmpp/: %s', async (line) => {
      const messages = await restrictedImports(xmppFile, `${line}\nexport const x = 1;\n`);
      expect(messages.join('\n')).toContain('src/net/transport.ts');
    });

    it.each(["import { connect } from 'node:tls';", "import tls from 'tls';"])('rejects node:tls outside src/net/ and src/xmpp/socket.ts: %s', async (line) => {
      const messages = await restrictedImports(srcFile, `${line}\nexport const x = 1;\n`);
      expect(messages.join('\n')).toContain('src/net/transport.ts');
    });

    it('lets src/xmpp/socket.ts upgrade an open socket with node:tls (and nothing else)', async () => {
      expect(await restrictedImports(xmppFile, "import { connect } from 'node:tls';\nexport const x = connect;\n")).toEqual([]);
      expect(await restrictedImports(xmppFile, "import { connect } from 'node:net';\nexport const x = connect;\n")).not.toEqual([]);
    });

    it('lets src/net/ import every network module', async () => {
      const code = [
        "import { connect } from 'node:net';",
        "import dns from 'node:dns';",
        "import { createSocket } from 'node:dgram';",
        "import { request } from 'node:https';",
        "import { connect as tls } from 'node:tls';",
        'export const x = [connect, dns, createSocket, request, tls];',
        '',
      ].join('\n');
      expect(await restrictedImports(netFile, code)).toEqual([]);
    });

    it("allows type-only imports and node:net's pure address helpers anywhere in src/", async () => {
      const code = "import type { Socket } from 'node:net';\nimport { isIP, isIPv6 } from 'node:net';\nexport const f = (s: Socket): number => isIP(String(s.remoteAddress)) + Number(isIPv6(''));\n";
      expect(await restrictedImports(srcFile, code)).toEqual([]);
      expect(await restrictedImports(srcFile, "import { isIP, connect } from 'node:net';\nexport const x = [isIP, connect];\n")).toHaveLength(1);
    });

    it('refuses packages and globals that reach the network by themselves in src/, outside src/net', async () => {
      expect(await restrictedImports(xmppFile, "import WebSocket from 'ws';\nexport const x = WebSocket;\n")).toHaveLength(1);
      expect(await restrictedImports(xmppFile, "import { SocksClient } from 'socks';\nexport const x = SocksClient;\n")).toHaveLength(1);
      const [g] = await eslint.lintText("export const get = (): Promise<Response> => fetch('https://example.org/');\n", { filePath: xmppFile });
      expect(g?.messages.map((m) => m.ruleId)).toContain('no-restricted-globals');
    });

    describe('src/bridge/ may serve on loopback, and only serve', () => {
      it('accepts the bridge as it is (control case), and an HTTP server and a WebSocket server', async () => {
        expect(await restrictedImports(bridgeFile, readFileSync(bridgeFile, 'utf8'))).toEqual([]);
        const code = "import { createServer } from 'node:http';\nimport { WebSocketServer } from 'ws';\nimport type { WebSocket } from 'ws';\nexport const x = [createServer, WebSocketServer] as const;\nexport type W = WebSocket;\n";
        expect(await restrictedImports(bridgeFile, code)).toEqual([]);
      });

      it.each([
        "import { request } from 'node:http';",
        "import { get } from 'http';",
        "import http from 'node:http';",
        "import WebSocket from 'ws';",
        "import { WebSocket } from 'ws';",
        "import { connect } from 'node:net';",
        "import { request } from 'node:https';",
        "import { connect } from 'node:tls';",
        "import { lookup } from 'node:dns';",
        "import { SocksClient } from 'socks';",
        "import { app } from 'electron';",
      ])('rejects in src/bridge/: %s', async (line) => {
        expect(await restrictedImports(bridgeFile, `${line}\nexport const x = 1;\n`)).not.toEqual([]);
      });

      it('does not widen the rest of src/: a WebSocket server or an HTTP server stays refused outside src/bridge/', async () => {
        expect(await restrictedImports(xmppFile, "import { WebSocketServer } from 'ws';\nexport const x = WebSocketServer;\n")).toHaveLength(1);
        expect(await restrictedImports(srcFile, "import { createServer } from 'node:http';\nexport const x = createServer;\n")).toHaveLength(1);
      });
    });

    it('keeps the core boundary (no Electron, no React) in the files whose rule options are overridden', async () => {
      for (const file of [netFile, xmppFile, torControlFile, join(root, 'src', 'net', 'registry.test.ts')]) {
        const messages = await restrictedImports(file, "import { app } from 'electron';\nexport const x = app;\n");
        expect(messages.join('\n'), file).toContain('Electron');
      }
    });
  });

  it('rejects `any` and files over 400 lines everywhere', async () => {
    const [anyResult] = await eslint.lintText('export function f(x: any): unknown { return x; }\n', { filePath: srcFile });
    expect(anyResult?.messages.map((m) => m.ruleId)).toContain('@typescript-eslint/no-explicit-any');
    const long = Array.from({ length: 401 }, (_, i) => `export const v${i} = ${i};`).join('\n') + '\n';
    const [longResult] = await eslint.lintText(long, { filePath: srcFile });
    expect(longResult?.messages.map((m) => m.ruleId)).toContain('max-lines');
  });
});
