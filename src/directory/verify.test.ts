/**
 * Verification with real OpenPGP keys generated here (n = 3, k = 2), through a DirectoryStore on disk: each refused
 * directory gives its own typed error with a clear message, and the last good copy stays — in memory and byte for
 * byte on disk.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PrivateKey } from 'openpgp';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  DirectoryExpiredError,
  DirectoryMalformedError,
  DirectorySignatureError,
  NotEnoughSignaturesError,
  RevokedSignerError,
  StaleSerialError,
  TamperedDirectoryError,
  type DirectoryError,
  type SignatureRejection,
} from './errors';
import type { DirectoryDocument } from './schema';
import { DirectoryStore, STORE_FILE, type SignedCopy } from './store';
import { generateNetworkKey } from './network';
import { makeDocument, makeTestNetwork, signBundle, signedCopy, type TestNetwork } from './testing/network';
import { verifyDirectory } from './verify';

let net: TestNetwork;
let outsider: PrivateKey;
let A: PrivateKey;
let B: PrivateKey;
let C: PrivateKey;
let dir: string;
let store: DirectoryStore;
let goodFile: Buffer;

beforeAll(async () => {
  net = await makeTestNetwork(3, 2);
  [A, B, C] = net.secrets as [PrivateKey, PrivateKey, PrivateKey];
  outsider = await generateNetworkKey('not a network key');
});

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cove-directory-'));
  store = new DirectoryStore({ dir, network: net.network });
  await store.accept(await signedCopy(makeDocument({ serial: 5 }), [A, B]));
  goodFile = readFileSync(join(dir, STORE_FILE));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const fp = (i: number): string => net.fingerprints[i] ?? '';

/** `copy` is refused by the store with `kind` and a message matching `message`; the last good copy (serial 5) stays. */
async function expectRefused(copy: SignedCopy, kind: abstract new (...a: never[]) => DirectoryError, message: RegExp): Promise<DirectoryError> {
  const err = await store.accept(copy).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(kind);
  const e = err as DirectoryError;
  expect(e.message).toMatch(message);
  expect(e.message).toMatch(/keeps using its last good copy/);
  expect(store.current()?.directory.document.serial).toBe(5);
  expect(readFileSync(join(dir, STORE_FILE)).equals(goodFile)).toBe(true);
  // and a fresh store reading the disk finds the same last good copy
  const reread = new DirectoryStore({ dir, network: net.network });
  expect((await reread.load())?.directory.document.serial).toBe(5);
  return e;
}

function rejectedOf(e: DirectoryError): readonly SignatureRejection[] {
  if (!(e instanceof DirectorySignatureError)) throw new Error(`not a signature error: ${e.code}`);
  return e.rejected;
}

const next = (over: Partial<DirectoryDocument> = {}): DirectoryDocument => makeDocument({ serial: 6, ...over });

describe('accepted', () => {
  it('with k = 2 signatures, and with all 3', async () => {
    const two = await store.accept(await signedCopy(next(), [A, C]));
    expect(two.signers).toEqual([fp(0), fp(2)]);
    expect(two.required).toBe(2);
    const three = await store.accept(await signedCopy(next({ serial: 7 }), [C, B, A]));
    expect(three.signers).toEqual([fp(2), fp(1), fp(0)]);
    expect(store.current()?.directory.document.serial).toBe(7);
    expect(store.current()?.source).toBe('stored');
  });

  it('when an extra signature does not count (revoked, unknown, duplicate) but k others do', async () => {
    const doc = next({ revocations: { gateways: [], signers: [{ fingerprint: fp(2), date: '2026-01-01' }] } });
    const copy = await signedCopy(doc, [A, C, outsider, A, B]);
    const d = await store.accept(copy);
    expect(d.signers).toEqual([fp(0), fp(1)]);
    expect(d.ignored.map((r) => [r.index, r.reason])).toEqual([
      [1, 'revoked-signer'],
      [2, 'unknown-key'],
      [3, 'duplicate'],
    ]);
  });
});

describe('refused, keeping the last good copy', () => {
  it('with k - 1 signatures', async () => {
    const e = await expectRefused(await signedCopy(next(), [A]), NotEnoughSignaturesError, /1 valid signature from the network's keys; 2 are needed/);
    expect(e.code).toBe('directory-not-enough-signatures');
  });

  it('with a signature by a signer the directory itself revokes', async () => {
    const doc = next({ revocations: { gateways: [], signers: [{ fingerprint: fp(2), date: '2026-01-01', reason: 'key lost' }] } });
    const e = await expectRefused(await signedCopy(doc, [A, C]), RevokedSignerError, /1 signature is by a network key that has been revoked.*1 valid signature/);
    expect(e.code).toBe('directory-revoked-signer');
    expect(rejectedOf(e)).toEqual([{ index: 1, reason: 'revoked-signer', fingerprint: fp(2) }]);
  });

  it('with a signature by a signer revoked by a directory accepted earlier (revocations are sticky)', async () => {
    await store.accept(await signedCopy(next({ revocations: { gateways: [], signers: [{ fingerprint: fp(2), date: '2026-01-01' }] } }), [A, B]));
    goodFile = readFileSync(join(dir, STORE_FILE));
    // serial 7 leaves the revocation out, and is signed by the revoked key: it must not count again.
    const copy = await signedCopy(makeDocument({ serial: 7 }), [A, C]);
    const err = await store.accept(copy).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RevokedSignerError);
    expect(store.current()?.directory.document.serial).toBe(6);
    expect(readFileSync(join(dir, STORE_FILE)).equals(goodFile)).toBe(true);
    // also after a restart: the revocation was saved with the copy
    const reread = new DirectoryStore({ dir, network: net.network });
    await reread.load();
    expect([...reread.revokedSigners()]).toEqual([fp(2)]);
    await expect(reread.accept(copy)).rejects.toBeInstanceOf(RevokedSignerError);
  });

  it('with two signatures by the same key (counted once)', async () => {
    const e = await expectRefused(await signedCopy(next(), [B, B]), NotEnoughSignaturesError, /1 valid signature/);
    expect(rejectedOf(e)).toEqual([{ index: 1, reason: 'duplicate', fingerprint: fp(1) }]);
  });

  it('with a signature by a key not in the network set', async () => {
    const e = await expectRefused(await signedCopy(next(), [A, outsider]), NotEnoughSignaturesError, /1 valid signature/);
    expect(rejectedOf(e)).toEqual([{ index: 1, reason: 'unknown-key' }]);
  });

  it('with an older serial, and with an equal one', async () => {
    const older = await expectRefused(await signedCopy(makeDocument({ serial: 4 }), [A, B]), StaleSerialError, /serial 4\) is not newer than the one Cove already has \(serial 5\)/);
    expect(older.code).toBe('directory-stale-serial');
    await expectRefused(await signedCopy(makeDocument({ serial: 5, gateways: [] }), [A, B, C]), StaleSerialError, /serial 5\) is not newer/);
  });

  it('with one byte of the document changed after signing', async () => {
    const copy = await signedCopy(next(), [A, B, C]);
    const i = new TextDecoder().decode(copy.bytes).indexOf('a.test');
    const bytes = Uint8Array.from(copy.bytes);
    bytes[i] = 'c'.charCodeAt(0); // a.test -> c.test: still a valid, canonical directory
    const e = await expectRefused({ bytes, signatures: copy.signatures }, TamperedDirectoryError, /altered after it was signed: 3 signatures .* do not match it.*0 valid signatures/);
    expect(e.code).toBe('directory-bad-signature');
  });

  it('with one byte of a signature changed', async () => {
    const copy = await signedCopy(next(), [A, B]);
    const lines = copy.signatures.split('\n');
    const line = lines.findIndex((l) => l.length > 40);
    const l = lines[line] ?? '';
    lines[line] = `${l.slice(0, 30)}${l[30] === 'A' ? 'B' : 'A'}${l.slice(31)}`;
    const err = await store.accept({ bytes: copy.bytes, signatures: lines.join('\n') }).catch((x: unknown) => x);
    // The block either no longer parses ('unreadable': not enough signatures) or no longer verifies ('bad-signature').
    expect(err).toBeInstanceOf(DirectorySignatureError);
    expect((err as DirectorySignatureError).rejected.map((r) => r.reason)).toEqual([expect.stringMatching(/^(bad-signature|unreadable)$/)]);
    expect(store.current()?.directory.document.serial).toBe(5);
  });

  it('when it has expired', async () => {
    const now = Date.now();
    const doc = makeDocument({ serial: 6, issued: '2025-01-01T00:00:00Z', expires: new Date(now - 60_000).toISOString().replace(/\.\d+Z$/, 'Z') });
    const e = await expectRefused(await signedCopy(doc, [A, B]), DirectoryExpiredError, /expired on/);
    expect(e.code).toBe('directory-expired');
  });

  it('when it raises k for itself above the signatures it has', async () => {
    await expectRefused(await signedCopy(next({ threshold: 3 }), [A, B]), NotEnoughSignaturesError, /2 valid signatures .* 3 are needed/);
  });

  it('when it lowers k below the shipped threshold', async () => {
    await expectRefused(await signedCopy(next({ threshold: 1 }), [A]), NotEnoughSignaturesError, /1 valid signature .* 2 are needed/);
  });

  it('when it is signed but malformed or not canonical', async () => {
    const text = new TextDecoder().decode((await signedCopy(next(), [])).bytes);
    for (const bad of [text.replace('"serial":6', '"serial":6.0'), JSON.stringify(JSON.parse(text), null, 2), '{"hello":"world"}']) {
      const bytes = new TextEncoder().encode(bad);
      await expectRefused({ bytes, signatures: await signBundle(bytes, [A, B]) }, DirectoryMalformedError, /malformed/);
    }
  });

  it('when the signature file holds no signature or something else', async () => {
    const { bytes, signatures } = await signedCopy(next(), [A, B]);
    await expectRefused({ bytes, signatures: '' }, DirectoryMalformedError, /no signature/);
    await expectRefused({ bytes, signatures: `${signatures}\nhello` }, DirectoryMalformedError, /something other than armored/);
  });
});

describe('verifyDirectory', () => {
  it('never parses a document whose signatures do not reach the shipped threshold', async () => {
    const bytes = new TextEncoder().encode('not json at all');
    await expect(verifyDirectory(bytes, await signBundle(bytes, [A]), { network: net.network })).rejects.toBeInstanceOf(NotEnoughSignaturesError);
    await expect(verifyDirectory(bytes, await signBundle(bytes, [A, B]), { network: net.network })).rejects.toBeInstanceOf(DirectoryMalformedError);
  });
});
