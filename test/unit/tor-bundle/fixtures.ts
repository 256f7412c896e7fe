/**
 * A published Tor Expert Bundle made here: an archive laid out like the Tor Project's, its
 * sha256sums-signed-build.txt and a detached signature, by a key generated in the test (the real download cannot
 * run on these machines). Also a minimal tar writer, for archives that real tar refuses to write.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as openpgp from 'openpgp';
import type { BundlePins } from '../../../scripts/tor-bundle/pins';

export interface TestKey {
  privateKey: openpgp.PrivateKey;
  armoredPublic: string;
  fingerprint: string;
}

/** A key like Tor Browser's: a certification primary and a signing subkey (which makes the signatures). */
export async function makeKey(name: string): Promise<TestKey> {
  const { privateKey, publicKey } = await openpgp.generateKey({ type: 'ecc', userIDs: [{ name, email: `${name.replace(/\W/g, '')}@example.org` }], subkeys: [{ sign: true }], format: 'object' });
  return { privateKey, armoredPublic: publicKey.armor(), fingerprint: publicKey.getFingerprint().toUpperCase() };
}

export async function signDetached(data: Uint8Array, key: openpgp.PrivateKey): Promise<string> {
  return openpgp.sign({ message: await openpgp.createMessage({ binary: data }), signingKeys: key, detached: true, format: 'armored' });
}

export const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

export function tmp(prefix: string, dirs: string[]): string {
  const d = mkdtempSync(join(tmpdir(), `cove-${prefix}-`));
  dirs.push(d);
  return d;
}

function put(root: string, rel: string, text: string, mode = 0o644): void {
  const full = join(root, rel);
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, text);
  chmodSync(full, mode);
}

/** The Expert Bundle's tree; its "tor" is a script that prints a tor version line, so it can be run. */
export function bundleTree(root: string, opts: { torVersion?: string; exe?: string; omit?: string[] } = {}): void {
  const exe = opts.exe ?? '';
  const files: [string, string, number][] = [
    [`tor/tor${exe}`, `#!/bin/sh\necho "Tor version ${opts.torVersion ?? '0.4.9.13'}."\n`, 0o755],
    ['tor/libevent-2.1.so.7', 'not really a library', 0o644],
    [`tor/pluggable_transports/lyrebird${exe}`, '#!/bin/sh\n', 0o755],
    [`tor/pluggable_transports/snowflake-client${exe}`, '#!/bin/sh\n', 0o755],
    [`tor/pluggable_transports/conjure-client${exe}`, '#!/bin/sh\n', 0o755],
    ['tor/pluggable_transports/pt_config.json', '{}\n', 0o644],
    ['data/geoip', '# geoip\n16777216,16777471,AU\n', 0o644],
    ['data/geoip6', '# geoip6\n', 0o644],
    ['docs/Licenses/Tor.txt', 'licence text\n', 0o644],
    ['debug/tor.debug', 'symbols\n', 0o644],
  ];
  for (const [rel, text, mode] of files) if (!(opts.omit ?? []).includes(rel)) put(root, rel, text, mode);
}

/** tar.gz of `root`'s top-level entries, written by the system's tar (as the Tor Project's archives are). */
export function tarGzOf(root: string, out: string): void {
  const entries = ['tor', 'data', 'docs', 'debug'].filter((e) => spawnSync('test', ['-e', join(root, e)]).status === 0);
  const r = spawnSync('tar', ['-czf', out, '-C', root, ...entries], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tar failed: ${r.stderr}`);
}

export interface Published {
  dir: string;
  pins: BundlePins;
  archiveName: string;
  archive: Buffer;
  sums: string;
}

/** A directory as a mirror holds it, plus pins that trust `key` (its key file written next to it). */
export async function publish(dirs: string[], key: TestKey, opts: { target?: string; torVersion?: string; extraSums?: string } = {}): Promise<Published> {
  const target = opts.target ?? 'linux-x64';
  const platforms: Record<string, string> = { 'linux-x64': 'linux-x86_64', 'win32-x64': 'windows-x86_64', 'darwin-arm64': 'macos-aarch64' };
  const version = '15.0.99';
  const archiveName = `tor-expert-bundle-${platforms[target] ?? 'x'}-${version}.tar.gz`;
  const tree = tmp('tree', dirs);
  bundleTree(tree, { exe: target.startsWith('win32') ? '.exe' : '', ...(opts.torVersion === undefined ? {} : { torVersion: opts.torVersion }) });
  const dir = tmp('mirror', dirs);
  tarGzOf(tree, join(dir, archiveName));
  const archive = readFileSync(join(dir, archiveName));
  const sums = `${'0'.repeat(64)}  tor-browser-linux-x86_64-${version}.tar.xz\n${sha256(archive)}  ${archiveName}\n${opts.extraSums ?? ''}`;
  writeFileSync(join(dir, 'sha256sums-signed-build.txt'), sums);
  writeFileSync(join(dir, 'sha256sums-signed-build.txt.asc'), await signDetached(Buffer.from(sums), key.privateKey));
  const keyFile = join(dir, 'signing-key.asc');
  writeFileSync(keyFile, key.armoredPublic);
  const pins: BundlePins = { version, tor: opts.torVersion ?? '0.4.9.13', mirrors: ['https://mirror.invalid/torbrowser/'], sumsFile: 'sha256sums-signed-build.txt', platforms, keyFile, fingerprint: key.fingerprint };
  return { dir, pins, archiveName, archive, sums };
}

/** One tar member for writeTar: a regular file unless `type`/`linkName` say otherwise. */
export interface RawMember {
  name: string;
  data?: string;
  type?: '0' | '2' | '1' | '5';
  linkName?: string;
  mode?: number;
}

/** A ustar archive written by hand, member names taken as given (for the archives a careful tar would not write). */
export function writeTarGz(members: readonly RawMember[]): Buffer {
  const blocks: Buffer[] = [];
  for (const m of members) {
    const data = Buffer.from(m.data ?? '');
    const h = Buffer.alloc(512);
    h.write(m.name, 0, 100, 'utf8');
    h.write(`${(m.mode ?? 0o644).toString(8).padStart(7, '0')}\0`, 100, 'ascii');
    h.write('0000000\0', 108, 'ascii');
    h.write('0000000\0', 116, 'ascii');
    h.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
    h.write('00000000000\0', 136, 'ascii');
    h.write(m.type ?? '0', 156, 'ascii');
    h.write(m.linkName ?? '', 157, 100, 'utf8');
    h.write('ustar\x0000', 257, 'binary');
    h.fill(32, 148, 156);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
    blocks.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}
