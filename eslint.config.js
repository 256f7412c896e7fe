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

/**
 * The network boundary: in src/, only src/net/ opens connections or resolves names, so that every connection goes
 * through the privacy mode's Transport and nothing can go around it. Type-only imports are harmless and allowed, and
 * so are node:net's pure address helpers (isIP, isIPv4, isIPv6).
 */
const netMessage = "Only src/net/ may open connections or resolve names: go through the privacy mode's Transport (src/net/transport.ts).";
const netAddressHelpers = ['isIP', 'isIPv4', 'isIPv6'];
/** @param {string[]} modules */
const netPaths = (modules) =>
  modules.flatMap((m) =>
    [m, `node:${m}`].map((name) => ({
      name,
      message: netMessage,
      allowTypeImports: true,
      ...(m === 'net' ? { allowImportNames: netAddressHelpers } : {}),
    })),
  );
const netModules = ['net', 'dns', 'dns/promises', 'dgram', 'http', 'https', 'http2'];
/** npm packages that open their own sockets. */
const netPackages = ['ws', 'socks', 'undici', 'node-fetch'].map((name) => ({ name, message: netMessage, allowTypeImports: true }));
/** Globals that reach the network by themselves (Node 22 has fetch and WebSocket built in). */
const netGlobals = ['fetch', 'WebSocket', 'EventSource', 'XMLHttpRequest'].map((name) => ({ name, message: netMessage }));
const tlsModules = ['tls'];
/** src/** with the network boundary on top. NB: a later config for the same files REPLACES these options, so every
 *  src/ override below repeats srcBoundary's own lists (they are spread in, not re-typed). */
const srcWithNetBoundary = (/** @type {string[]} */ modules) => ({
  paths: [...srcBoundary.paths, ...netPaths(modules), ...netPackages],
  patterns: srcBoundary.patterns,
});

/**
 * src/bridge/ (the browser bridge) SERVES the UI on loopback: it may create an HTTP server and a WebSocket server, and
 * nothing more. node:http's request/get and ws's client (WebSocket) stay forbidden, as does every other network module.
 */
const bridgeBoundary = {
  paths: [
    ...srcBoundary.paths,
    ...netPaths([...netModules, ...tlsModules].filter((m) => m !== 'http')),
    ...['http', 'node:http'].map((name) => ({ name, message: netMessage, allowTypeImports: true, allowImportNames: ['createServer'] })),
    ...netPackages.filter((p) => p.name !== 'ws'),
    { name: 'ws', message: netMessage, allowTypeImports: true, allowImportNames: ['WebSocketServer'] },
  ],
  patterns: srcBoundary.patterns,
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
  {
    files: ['src/**'],
    rules: { 'no-restricted-imports': ['error', srcWithNetBoundary([...netModules, ...tlsModules])], 'no-restricted-globals': ['error', ...netGlobals] },
  },
  // src/xmpp/socket.ts upgrades a socket the Transport already opened to TLS (tls.connect({ socket })): node:tls only.
  { files: ['src/xmpp/socket.ts'], rules: { 'no-restricted-imports': ['error', srcWithNetBoundary(netModules)] } },
  { files: ['src/bridge/**'], rules: { 'no-restricted-imports': ['error', bridgeBoundary] } },
  {
    files: [
      'src/net/**',
      // The tor control port: a loopback TCP or Unix-socket connection to the tor process Cove runs or was pointed at,
      // never a network path. Not routed through src/net/direct.ts's openTcp because it also speaks over a Unix
      // socket (path), which openTcp does not, and it maps failures to its own TorConnectError.
      'src/tor/control/client.ts',
      // Tests and test fakes under src/ run local servers; they are not product code.
      'src/**/*.test.ts',
      'src/**/testing/**',
    ],
    rules: { 'no-restricted-imports': ['error', srcBoundary], 'no-restricted-globals': 'off' },
  },
  {
    files: ['renderer/**'],
    ignores: ['renderer/vite.config.ts'],
    languageOptions: { globals: { ...globals.browser } },
    rules: { 'no-restricted-imports': ['error', rendererBoundary] },
  },
);
