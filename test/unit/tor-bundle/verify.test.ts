/**
 * The fetch-and-verify flow of scripts/fetch-tor.ts on a bundle published here (archive, signed checksum file, key
 * made by the test): the genuine one is unpacked; a wrong hash, a wrong signature, a signature by another key, a
 * tampered checksum file, a key that is not the pinned one and a placeholder key are each refused with a typed
 * error, and nothing is unpacked then.
 */
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pinsJson from '../../../resources/tor/versions.json';
import { ChecksumError, SignatureError, SigningKeyError } from '../../../scripts/tor-bundle/errors';
import { fetchExpertBundle } from '../../../scripts/tor-bundle/fetch';
import { bundlePins } from '../../../scripts/tor-bundle/pins';
import { loadSigningKey, parseSums, verifyDetached } from '../../../scripts/tor-bundle/verify';
import { makeKey, publish, sha256, signDetached, tmp, type Published, type TestKey } from './fixtures';

const dirs: string[] = [];
let tor: TestKey;
let mallory: TestKey;

beforeAll(async () => {
  [tor, mallory] = await Promise.all([makeKey('Tor Browser Developers (test)'), makeKey('Mallory')]);
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function run(pub: Published, target = 'linux-x64'): { dest: string; result: Promise<unknown> } {
  const dest = join(tmp('dest', dirs), 'linux-x64');
  return { dest, result: fetchExpertBundle({ pins: pub.pins, target, dest, source: { kind: 'dir', dir: pub.dir } }) };
}

async function refused(pub: Published, type: abstract new (...args: never[]) => Error, code: string): Promise<void> {
  const { dest, result } = run(pub);
  const err = await result.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(type);
  expect(err).toMatchObject({ code });
  console.log(`refused as expected: ${(err as Error).message}`);
  expect(existsSync(dest)).toBe(false);
}

describe('fetch and verify the Tor Expert Bundle', () => {
  it('unpacks a genuine bundle into Cove\'s layout, with its provenance', async () => {
    const pub = await publish(dirs, tor);
    const { dest, result } = run(pub);
    const p = await result;
    for (const f of ['tor', 'libevent-2.1.so.7', 'pluggable_transports/lyrebird', 'pluggable_transports/snowflake-client', 'pluggable_transports/pt_config.json', 'geoip', 'geoip6', 'docs/Licenses/Tor.txt']) {
      expect(existsSync(join(dest, f)), f).toBe(true);
    }
    for (const f of ['pluggable_transports/conjure-client', 'debug', 'data', 'tor/tor']) expect(existsSync(join(dest, f)), f).toBe(false);
    expect(statSync(join(dest, 'tor')).mode & 0o111).not.toBe(0);
    expect(statSync(join(dest, 'geoip')).mode & 0o111).toBe(0);
    const provenance = JSON.parse(readFileSync(join(dest, 'BUNDLE.json'), 'utf8')) as Record<string, unknown>;
    expect(provenance).toMatchObject({ source: 'tor-expert-bundle', target: 'linux-x64', bundleVersion: '15.0.99', archive: pub.archiveName, archiveSha256: sha256(pub.archive), torVersion: '0.4.9.13' });
    // The signature came from the signing subkey, as Tor Browser's do, not from the primary key.
    const subkeyId = tor.privateKey.subkeys.map((s) => s.getKeyID().toHex());
    expect(subkeyId).toContain(provenance.signingKeyId);
    expect(p).toEqual(provenance);
  });

  it('refuses an archive whose SHA-256 is not the one in the signed checksum file', async () => {
    const pub = await publish(dirs, tor);
    writeFileSync(join(pub.dir, pub.archiveName), Buffer.concat([pub.archive, Buffer.from('trailing bytes')]));
    await refused(pub, ChecksumError, 'tor-sha256-mismatch');
  });

  it('refuses a wrong signature (made by the right key, over other content)', async () => {
    const pub = await publish(dirs, tor);
    writeFileSync(join(pub.dir, 'sha256sums-signed-build.txt.asc'), await signDetached(Buffer.from(`${pub.sums}# other\n`), tor.privateKey));
    await refused(pub, SignatureError, 'tor-signature-bad');
  });

  it('refuses a signature made by another key', async () => {
    const pub = await publish(dirs, tor);
    writeFileSync(join(pub.dir, 'sha256sums-signed-build.txt.asc'), await signDetached(Buffer.from(pub.sums), mallory.privateKey));
    await refused(pub, SignatureError, 'tor-signature-unknown-key');
  });

  it('refuses a checksum file changed after it was signed, even when it matches a swapped archive', async () => {
    const pub = await publish(dirs, tor);
    const evil = Buffer.concat([pub.archive, Buffer.from('evil')]);
    writeFileSync(join(pub.dir, pub.archiveName), evil);
    writeFileSync(join(pub.dir, 'sha256sums-signed-build.txt'), pub.sums.replace(sha256(pub.archive), sha256(evil)));
    await refused(pub, SignatureError, 'tor-signature-bad');
  });

  it('refuses an unreadable signature', async () => {
    const pub = await publish(dirs, tor);
    writeFileSync(join(pub.dir, 'sha256sums-signed-build.txt.asc'), '-----BEGIN PGP SIGNATURE-----\n\nAAAA\n-----END PGP SIGNATURE-----\n');
    await refused(pub, SignatureError, 'tor-signature-unreadable');
  });

  it('refuses a key file that does not hold the pinned key, and a placeholder', async () => {
    const pub = await publish(dirs, tor);
    writeFileSync(pub.pins.keyFile, mallory.armoredPublic);
    await refused(pub, SigningKeyError, 'tor-key-fingerprint');
    writeFileSync(pub.pins.keyFile, `PLACEHOLDER: put the Tor Browser Developers key ${pub.pins.fingerprint} here\n`);
    await refused(pub, SigningKeyError, 'tor-key-missing');
  });

  it('refuses a checksum file that does not list the archive', async () => {
    const pub = await publish(dirs, tor);
    const sums = pub.sums.split('\n').filter((l) => !l.endsWith(pub.archiveName)).join('\n');
    writeFileSync(join(pub.dir, 'sha256sums-signed-build.txt'), sums);
    writeFileSync(join(pub.dir, 'sha256sums-signed-build.txt.asc'), await signDetached(Buffer.from(sums), tor.privateKey));
    await refused(pub, ChecksumError, 'tor-sums-missing-file');
  });

  it('refuses a bundle whose tor is older than the pinned minimum, keeping the old bundle', async () => {
    const good = await publish(dirs, tor);
    const { dest, result } = run(good);
    await result;
    const old = await publish(dirs, tor, { torVersion: '0.3.5.1' });
    await expect(fetchExpertBundle({ pins: old.pins, target: 'linux-x64', dest, source: { kind: 'dir', dir: old.dir } })).rejects.toMatchObject({ code: 'tor-too-old' });
    expect(JSON.parse(readFileSync(join(dest, 'BUNDLE.json'), 'utf8'))).toMatchObject({ torVersion: '0.4.9.13' });
  });

  it('unpacks a bundle for another platform without running it (Windows names, .exe)', async () => {
    const pub = await publish(dirs, tor, { target: 'win32-x64' });
    const dest = join(tmp('dest', dirs), 'win32-x64');
    const p = await fetchExpertBundle({ pins: pub.pins, target: 'win32-x64', dest, source: { kind: 'dir', dir: pub.dir } });
    expect(p.files).toEqual(expect.arrayContaining(['tor.exe', 'pluggable_transports/lyrebird.exe', 'pluggable_transports/snowflake-client.exe', 'geoip']));
    expect(p.torVersion).toBeUndefined();
  });
});

describe('the pieces', () => {
  it('parses the checksum file and refuses a malformed one', () => {
    const h = 'a'.repeat(64);
    expect(parseSums(`${h}  one.tar.gz\r\n${'B'.repeat(64)} *two.tar.xz\n\n`)).toEqual(new Map([['one.tar.gz', h], ['two.tar.xz', 'b'.repeat(64)]]));
    expect(() => parseSums('not a sum line\n')).toThrow(ChecksumError);
    expect(() => parseSums('')).toThrow(ChecksumError);
    expect(() => parseSums(`${h}  x\n${'c'.repeat(64)}  x\n`)).toThrow(ChecksumError);
  });

  it('accepts a signature by the primary key too, and reports which key signed', async () => {
    const data = Buffer.from('hello');
    const key = await loadSigningKey(tor.armoredPublic, tor.fingerprint.toLowerCase().replace(/(.{4})/g, '$1 '));
    const primaryOnly = await openpgpSignWithPrimary(data);
    const info = await verifyDetached(data, primaryOnly, key, 'test data');
    expect(info.signingKeyId).toBe(tor.privateKey.getKeyID().toHex());
  });

  it('the shipped Tor Browser Developers key holds the pinned fingerprint, and is refused under any other', async () => {
    const pins = bundlePins();
    expect(pins.fingerprint).toBe('EF6E286DDA85EA2A4BA7DE684E2C6E8793298290');
    expect(pins.fingerprint).toBe(pinsJson.signingKey.fingerprint);
    const key = await loadSigningKey(readFileSync(pins.keyFile, 'utf8'), pins.fingerprint);
    expect(key.getFingerprint().toUpperCase()).toBe(pins.fingerprint);
    expect(key.isPrivate()).toBe(false);
    await expect(loadSigningKey(readFileSync(pins.keyFile, 'utf8'), mallory.fingerprint)).rejects.toBeInstanceOf(SigningKeyError);
  });
});

async function openpgpSignWithPrimary(data: Uint8Array): Promise<string> {
  const openpgp = await import('openpgp');
  return openpgp.sign({ message: await openpgp.createMessage({ binary: data }), signingKeys: tor.privateKey, signingKeyIDs: [tor.privateKey.getKeyID()], detached: true, format: 'armored' });
}
