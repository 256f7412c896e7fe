/**
 * electron-builder.yml against electron-builder's own JSON schema (app-builder-lib/scheme.json, with ajv) and its own
 * validator, then the settings the packaging issue names: fuses, asar, no publish, the native module not rebuilt,
 * the tor bundle mapped to where src/platform/resources.ts looks, and `files` judged by electron-builder's own file
 * matchers (only the bundles and the target's prebuilt SQLite binary get in). The real packaging run needs Electron's
 * binary, which cannot be downloaded here: that test is skipped with its reason in its title.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Ajv, type AnySchema } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledTorDir, bundledTorLayout, resourcesRoot } from '../../src/platform/resources';
import { findTorBinaries } from '../../src/tor/binary';

const root = join(import.meta.dirname, '..', '..');
const require = createRequire(import.meta.url);
const yaml = require('js-yaml') as { load: (text: string) => unknown };
type Filter = (file: string, stat: { isDirectory: () => boolean; moduleFullFilePath?: string }) => boolean;
interface Matcher { createFilter: () => Filter; patterns: string[] }
const fileMatcher = require('app-builder-lib/out/fileMatcher') as {
  getFileMatchers: (config: unknown, name: string, dest: string, options: { macroExpander: (p: string) => string; customBuildOptions: unknown; globalOutDir: string; defaultSrc: string }) => unknown[] | null;
  copyFiles: (matchers: unknown[] | null, transformer: null, isUseHardLink: boolean) => Promise<unknown>;
  getMainFileMatchers: (appDir: string, dest: string, expand: (p: string) => string, platformOptions: unknown, packager: unknown, outDir: string, isElectronCompile: boolean) => Matcher[];
  getNodeModuleFileMatcher: (appDir: string, dest: string, expand: (p: string) => string, platformOptions: unknown, packager: unknown) => Matcher;
};
const { expandMacro } = require('app-builder-lib/out/util/macroExpander') as { expandMacro: (pattern: string, arch: string, appInfo: object, extra: object) => string };
const { validateConfiguration } = require('app-builder-lib/out/util/config/config') as { validateConfiguration: (config: unknown, debugLogger: unknown) => Promise<void> };

interface Config {
  files: string[];
  asar: boolean;
  publish: unknown;
  extraResources: unknown[];
  npmRebuild: boolean;
  buildDependenciesFromSource: boolean;
  electronFuses: Record<string, boolean>;
  beforePack: string;
  mac: { hardenedRuntime: boolean; entitlements: string; entitlementsInherit: string; icon: string; notarize: boolean; extraResources: { from: string; to: string }[] };
  win: { icon: string; extraResources: { from: string; to: string }[] };
  linux: { icon: string; extraResources: { from: string; to: string }[] };
  [platform: string]: unknown;
}
const text = readFileSync(join(root, 'electron-builder.yml'), 'utf8');
const config = yaml.load(text) as Config;
const schema = JSON.parse(readFileSync(join(root, 'node_modules', 'app-builder-lib', 'scheme.json'), 'utf8')) as AnySchema;

/** ajv as strict as the schema allows; `typeof` is the one non-standard keyword it uses (for function-valued hooks). */
function validator(): (data: unknown) => string[] {
  const ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addKeyword({ keyword: 'typeof', schemaType: 'string', validate: (want: string, data: unknown) => typeof data === want });
  const validate = ajv.compile(schema);
  return (data) => (validate(data) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''} ${JSON.stringify(e.params)}`));
}

describe('electron-builder.yml', () => {
  let validate: (data: unknown) => string[];
  beforeAll(() => {
    validate = validator();
  });

  it('is valid against electron-builder\'s JSON schema (ajv), and its own validator agrees', async () => {
    expect(validate(config)).toEqual([]);
    await validateConfiguration(structuredClone(config), { isEnabled: false, add: () => undefined });
  });

  it('the schema check bites: a misspelt fuse, a wrong type and an unknown option are caught', () => {
    expect(validate({ ...config, electronFuses: { ...config.electronFuses, runAsNod: false } }).join()).toContain('"additionalProperty":"runAsNod"');
    expect(validate({ ...config, asar: 'yes' })).not.toEqual([]);
    expect(validate({ ...config, notAnOption: true })).not.toEqual([]);
  });

  it('sets the fuses: no run-as-node, no NODE_OPTIONS, no --inspect, cookie encryption, app only from an asar checked for integrity', () => {
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableCookieEncryption: true,
      onlyLoadAppFromAsar: true,
      enableEmbeddedAsarIntegrityValidation: true,
    });
    expect(config.asar).toBe(true);
  });

  it('publishes nowhere, and never rebuilds the native module from source', () => {
    expect(config.publish).toBeNull();
    expect(config.npmRebuild).toBe(false);
    expect(config.buildDependenciesFromSource).toBe(false);
  });

  it.each([
    ['linux', 'linux', 'x64'],
    ['win', 'win32', 'x64'],
    ['mac', 'darwin', 'arm64'],
  ] as const)('%s: ships resources/tor/%s-<arch> as <resources>/tor, where the app looks', (key, platform, arch) => {
    const section = config[key];
    const [tor] = section.extraResources;
    expect(section.extraResources).toHaveLength(1);
    expect(config.extraResources).toEqual([{ from: 'resources/directory', to: 'directory', filter: ['**/*', '!README.md'] }]);
    expect(tor?.from).toBe(`resources/tor/${platform}-\${arch}`);
    const packaged = bundledTorDir({ platform: 'linux', arch, isPackaged: true, resourcesPath: '/R', appRoot: '/repo' });
    expect(packaged).toBe(`/R/${tor?.to ?? ''}`);
    const dev = bundledTorDir({ platform: 'linux', arch, isPackaged: false, resourcesPath: '/R', appRoot: '/repo' }).replace('linux', platform);
    expect(relative('/repo', dev)).toBe((tor?.from ?? '').replace('${arch}', arch));
  });

  it('signs macOS with the hardened runtime and an entitlements file that asks only for JIT', () => {
    expect(config.mac).toMatchObject({ hardenedRuntime: true, notarize: true });
    for (const f of [config.mac.entitlements, config.mac.entitlementsInherit]) {
      const plist = readFileSync(join(root, f), 'utf8');
      expect(plist).toContain('<key>com.apple.security.cs.allow-jit</key>');
      expect(plist.match(/<key>/g)).toHaveLength(1);
    }
  });

  it('has its icons and its beforePack hook where it says', () => {
    for (const f of [config.mac.icon, config.win.icon, join(config.linux.icon, '512x512.png'), config.beforePack]) expect(existsSync(join(root, f)), f).toBe(true);
    const png = readFileSync(join(root, config.mac.icon));
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([1024, 1024]);
  });
});

describe('what goes into the app (electron-builder\'s own file matchers)', () => {
  const appInfo = { productName: 'Cove', sanitizedProductName: 'Cove', version: '0.1.0' };
  const expander = (os: string, arch: string) => (p: string): string => expandMacro(p, arch, appInfo, { os, '/*': '{,/**/*}' });
  const file = { isDirectory: (): boolean => false };

  it.each([['linux'], ['win'], ['mac']])('%s: the bundles and package.json, nothing from src, test, bench, scripts or maps', (os) => {
    const packager = { info: { projectDir: root, buildResourcesDir: 'build', isPrepackedAppAsar: false, config, debugLogger: { isEnabled: false } } };
    const [main] = fileMatcher.getMainFileMatchers(root, '/app', expander(os, 'x64'), config[os], packager, join(root, 'out'), false);
    const filter = main?.createFilter();
    if (filter === undefined) throw new Error('no main matcher');
    const kept = (rel: string): boolean => filter(join(root, rel), file);
    for (const rel of ['package.json', 'dist/main/main.cjs', 'dist/main/preload.cjs', 'renderer/dist/index.html', 'renderer/dist/assets/index-abc.js']) expect(kept(rel), rel).toBe(true);
    for (const rel of ['src/tor/owned-tor.ts', 'test/unit/x.test.ts', 'bench/run.ts', 'scripts/build.mjs', 'main/main.ts', 'renderer/app/App.tsx', 'dist/main/main.cjs.map', 'resources/tor/linux-x64/tor', 'electron-builder.yml', 'PACKAGING.md', 'tsconfig.json', 'build/entitlements.mac.plist']) {
      expect(kept(rel), rel).toBe(false);
    }
  });

  it.each([
    ['linux', 'linux', 'x64'],
    ['linux', 'linux', 'arm64'],
    ['win', 'win32', 'x64'],
    ['mac', 'darwin', 'arm64'],
    ['mac', 'darwin', 'x64'],
  ])('%s %s-%s: node_modules holds only the SQLite binding, with its one prebuilt binary', (os, platform, arch) => {
    const matcher = fileMatcher.getNodeModuleFileMatcher(root, '/app', expander(os, arch), config[os], { config, debugLogger: { isEnabled: false } });
    const filter = matcher.createFilter();
    const kept = (rel: string): boolean => filter('/x', { isDirectory: () => false, moduleFullFilePath: rel });
    const mod = 'node_modules/better-sqlite3-multiple-ciphers';
    // Every runtime file of the binding is kept (read from the real package).
    for (const f of readdirSync(join(root, mod, 'lib'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js'))) expect(kept(`${mod}/lib/${f}`), f).toBe(true);
    expect(kept(`${mod}/package.json`)).toBe(true);
    const prebuilds = readdirSync(join(root, mod, 'prebuilds'));
    expect(prebuilds).toContain(`${platform}-${arch}.node`);
    expect(prebuilds.filter((p) => kept(`${mod}/prebuilds/${p}`))).toEqual([`${platform}-${arch}.node`]);
    for (const rel of [`${mod}/deps/sqlite3/sqlite3.c`, `${mod}/src/better_sqlite3.cpp`, `${mod}/binding.gyp`, 'node_modules/react/index.js', 'node_modules/@xmpp/client/index.js', 'node_modules/node-addon-api/napi.h', 'node_modules/openpgp/dist/node/openpgp.mjs']) {
      expect(kept(rel), rel).toBe(false);
    }
  });
});

describe('extraResources, copied by electron-builder\'s own copier', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('puts a fetched Linux bundle where the packaged app finds tor and its transports, executable, and the signed directory beside it', async () => {
    const project = mkdtempSync(join(tmpdir(), 'cove-extra-'));
    dirs.push(project);
    const bundle = bundledTorLayout(join(project, 'resources', 'tor', 'linux-x64'), 'linux');
    mkdirSync(bundle.transportsDir, { recursive: true });
    for (const f of [bundle.tor, bundle.lyrebird, bundle.snowflake]) {
      copyFileSync('/bin/true', f);
      chmodSync(f, 0o755);
    }
    writeFileSync(bundle.geoip, '');
    mkdirSync(join(project, 'resources', 'directory', 'keys'), { recursive: true });
    for (const f of ['README.md', 'network.json', 'directory.json', 'directory.json.sig', 'keys/A.asc']) writeFileSync(join(project, 'resources', 'directory', f), f);
    const resourcesPath = join(project, 'out', 'linux-unpacked', 'resources');
    const appInfo = { productName: 'Cove', sanitizedProductName: 'Cove', version: '0.1.0' };
    const matchers = fileMatcher.getFileMatchers(config, 'extraResources', resourcesPath, {
      macroExpander: (p) => expandMacro(p, 'x64', appInfo, { os: 'linux', '/*': '{,/**/*}' }),
      customBuildOptions: config.linux,
      globalOutDir: join(project, 'out'),
      defaultSrc: project,
    });
    await fileMatcher.copyFiles(matchers, null, false);
    const found = findTorBinaries({ bundledDir: bundledTorDir({ platform: 'linux', arch: 'x64', isPackaged: true, resourcesPath, appRoot: '/nonexistent' }), platform: 'linux', path: '' });
    expect(found).toEqual({ tor: join(resourcesPath, 'tor', 'tor'), source: 'bundled', obfs4: join(resourcesPath, 'tor', 'pluggable_transports', 'lyrebird'), snowflake: join(resourcesPath, 'tor', 'pluggable_transports', 'snowflake-client') });
    expect(existsSync(join(resourcesPath, 'tor', 'geoip'))).toBe(true);
    // The signed directory, where main/ reads it (resourcesRoot + 'directory'), without its README.
    const directory = join(resourcesRoot({ platform: 'linux', arch: 'x64', isPackaged: true, resourcesPath, appRoot: '/nonexistent' }), 'directory');
    expect(readdirSync(directory, { recursive: true, encoding: 'utf8' }).sort()).toEqual(['directory.json', 'directory.json.sig', 'keys', 'keys/A.asc', 'network.json']);
  });
});

describe('the beforePack hook', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  let check: (projectDir: string, platform: string, arch: string, env: Record<string, string>) => { ok: boolean; message: string };
  beforeAll(async () => {
    const mod = (await import(pathToFileURL(join(root, config.beforePack)).href)) as { checkTorBundle: typeof check };
    check = mod.checkTorBundle;
  });

  it('refuses to package without the platform\'s tor bundle, and says how to get it', () => {
    const project = join(tmpdir(), `cove-hook-${String(process.pid)}`);
    dirs.push(project);
    expect(check(project, 'win32', 'x64', {})).toMatchObject({ ok: false, message: expect.stringContaining('fetch-tor.ts --platform win32-x64') as string });
    expect(check(project, 'linux', 'x64', {}).ok).toBe(false);
    expect(check(project, 'linux', 'x64', { COVE_LINUX_SYSTEM_TOR: '1' }).ok).toBe(true);
    expect(check(project, 'darwin', 'universal', {}).ok).toBe(false);
    const dir = join(project, 'resources', 'tor', 'darwin-arm64');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'tor'), '');
    writeFileSync(join(dir, 'BUNDLE.json'), JSON.stringify({ target: 'darwin-x64' }));
    expect(check(project, 'darwin', 'arm64', {})).toMatchObject({ ok: false, message: expect.stringContaining('not darwin-arm64') as string });
    writeFileSync(join(dir, 'BUNDLE.json'), JSON.stringify({ target: 'darwin-arm64' }));
    expect(check(project, 'darwin', 'arm64', {}).ok).toBe(true);
    expect(check(project, 'mas', 'arm64', {}).ok).toBe(true);
  });
});

const electronDist = join(root, 'node_modules', 'electron', 'dist');
const noElectron = !existsSync(electronDist);
describe.skipIf(noElectron)(`packaging a Linux app directory${noElectron ? " (SKIPPED: Electron's binary is not installed and cannot be downloaded on this machine)" : ''}`, () => {
  it('builds out/linux-unpacked with app.asar, the one prebuilt binary unpacked, and the fuses flipped', () => {
    const out = join(tmpdir(), `cove-pack-${String(process.pid)}`);
    const env = { ...process.env, COVE_LINUX_SYSTEM_TOR: '1' };
    const build = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, encoding: 'utf8', timeout: 300_000 });
    expect(build.status, build.stderr).toBe(0);
    const args = [join(root, 'node_modules', 'electron-builder', 'cli.js'), '--linux', 'dir', '--x64', `-c.electronDist=${electronDist}`, `-c.directories.output=${out}`];
    const pack = spawnSync(process.execPath, args, { cwd: root, env, encoding: 'utf8', timeout: 600_000 });
    expect(pack.status, pack.stdout + pack.stderr).toBe(0);
    const resources = join(out, 'linux-unpacked', 'resources');
    expect(existsSync(join(resources, 'app.asar'))).toBe(true);
    const unpacked = join(resources, 'app.asar.unpacked', 'node_modules', 'better-sqlite3-multiple-ciphers', 'prebuilds');
    expect(readdirSync(unpacked)).toEqual(['linux-x64.node']);
    const fuses = spawnSync(process.execPath, [join(root, 'node_modules', '@electron', 'fuses', 'dist', 'bin.js'), 'read', '--app', join(out, 'linux-unpacked', 'cove')], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
    expect(fuses.stdout).toMatch(/RunAsNode is Disabled/);
    rmSync(out, { recursive: true, force: true });
  });
});
if (noElectron) console.log("skipped: packaging an app directory needs Electron's binary, which is not installed and cannot be downloaded here");
