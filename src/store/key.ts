/**
 * Where a profile's 32-byte database key comes from:
 * - the OS keychain, through KeySource (main/ implements it with Electron's safeStorage; MemoryKeySource is the test
 *   double): a random key, created on first use and never shown to the user;
 * - a passphrase, through scrypt (node:crypto). Default N=2^18, r=8, p=1: 256 MiB and ~0.77 s on the 2-core
 *   development machine (2^17: 128 MiB, ~0.38 s; 2^19 would pass 1 s), the strongest power of two within ~1 s.
 *   The parameters and the random 16-byte salt are kept beside the database in a small JSON header file
 *   (`<db>.header`), so they can be raised for new passphrases without breaking old profiles.
 *
 * The header holds no secret and no key check value: the encrypted database itself tells a wrong key (StoreKeyError).
 */
import { syncDirectory } from '../fs/sync-dir';
import { randomBytes, scrypt } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { KEY_BYTES } from './db';
import { StoreHeaderError } from './errors';

/** A profile's key in the OS keychain (Electron safeStorage in main/). */
export interface KeySource {
  /** The profile's key: the one stored, or a new random one that is stored before it is returned. */
  getOrCreate(profileId: string): Promise<Buffer>;
  /** Removes the key (crypto-erasure of a deleted profile). Optional: not every keychain can. */
  forget?(profileId: string): Promise<void>;
}

/** A KeySource that keeps keys in memory: for tests, and for nothing else. */
export class MemoryKeySource implements KeySource {
  private readonly keys = new Map<string, Buffer>();

  getOrCreate(profileId: string): Promise<Buffer> {
    let key = this.keys.get(profileId);
    if (key === undefined) {
      key = randomBytes(KEY_BYTES);
      this.keys.set(profileId, key);
    }
    return Promise.resolve(Buffer.from(key));
  }

  forget(profileId: string): Promise<void> {
    this.keys.get(profileId)?.fill(0);
    this.keys.delete(profileId);
    return Promise.resolve();
  }

  has(profileId: string): boolean {
    return this.keys.has(profileId);
  }
}

export interface ScryptParams {
  /** CPU/memory cost, a power of two. Memory used is 128 · N · r bytes. */
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 18, r: 8, p: 1 };
export const SALT_BYTES = 16;

/** Bounds a header's parameters must stay in: below them is too weak, above them a header could exhaust memory. */
const MIN_LOG_N = 14;
const MAX_LOG_N = 22;

/** Derives the database key from a passphrase (NFC-normalised, so the same characters typed differently match). */
export async function deriveKey(passphrase: string, salt: Buffer, params: ScryptParams = DEFAULT_SCRYPT): Promise<Buffer> {
  checkParams(params);
  if (salt.length !== SALT_BYTES) throw new RangeError(`a salt has ${SALT_BYTES} bytes`);
  const secret = Buffer.from(passphrase.normalize('NFC'), 'utf8');
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      scrypt(secret, salt, KEY_BYTES, { ...params, maxmem: 128 * params.N * params.r + 32 * 1024 * 1024 }, (err, key) => {
        if (err === null) resolve(key);
        else reject(err);
      });
    });
  } finally {
    secret.fill(0);
  }
}

function checkParams(params: ScryptParams): void {
  const logN = Math.log2(params.N);
  if (!Number.isInteger(logN) || logN < MIN_LOG_N || logN > MAX_LOG_N) throw new RangeError(`scrypt N must be 2^${MIN_LOG_N}…2^${MAX_LOG_N}`);
  if (!Number.isInteger(params.r) || params.r < 8 || params.r > 32) throw new RangeError('scrypt r must be 8…32');
  if (!Number.isInteger(params.p) || params.p < 1 || params.p > 16) throw new RangeError('scrypt p must be 1…16');
}

const scryptSchema = z.object({
  kdf: z.literal('scrypt'),
  N: z.number().int(),
  r: z.number().int(),
  p: z.number().int(),
  salt: z.base64().refine((s) => Buffer.from(s, 'base64').length === SALT_BYTES, 'salt length'),
});

const headerSchema = z.discriminatedUnion('mode', [
  z.object({ format: z.literal('cove-store'), version: z.literal(1), mode: z.literal('keychain') }),
  z.object({ format: z.literal('cove-store'), version: z.literal(1), mode: z.literal('plain') }),
  z.object({
    format: z.literal('cove-store'),
    version: z.literal(1),
    mode: z.literal('passphrase'),
    ...scryptSchema.shape,
    /** Written before a passphrase change re-keys the database and removed after: if Cove stops in between, the
     *  database is under one of the two, and opening tries both (profile.ts). */
    pending: scryptSchema.optional(),
  }),
]);

export type KdfHeader = z.infer<typeof scryptSchema>;
export type StoreHeader = z.infer<typeof headerSchema>;

export function headerPath(dbPath: string): string {
  return `${dbPath}.header`;
}

export function newKdfHeader(params: ScryptParams = DEFAULT_SCRYPT): KdfHeader {
  checkParams(params);
  return { kdf: 'scrypt', N: params.N, r: params.r, p: params.p, salt: randomBytes(SALT_BYTES).toString('base64') };
}

/** Derives the key a KDF header describes. */
export function deriveFromHeader(passphrase: string, h: KdfHeader): Promise<Buffer> {
  return deriveKey(passphrase, Buffer.from(h.salt, 'base64'), { N: h.N, r: h.r, p: h.p });
}

/** The header beside `dbPath`, or undefined if there is none. Throws StoreHeaderError if it is malformed. */
export function readHeader(dbPath: string): StoreHeader | undefined {
  let text: string;
  try {
    text = readFileSync(headerPath(dbPath), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StoreHeaderError('it cannot be read', { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new StoreHeaderError('it is not JSON', { cause: err });
  }
  const parsed = headerSchema.safeParse(json);
  if (!parsed.success) throw new StoreHeaderError('its fields are not valid', { cause: parsed.error });
  if (parsed.data.mode === 'passphrase') {
    try {
      checkParams(parsed.data);
      if (parsed.data.pending !== undefined) checkParams(parsed.data.pending);
    } catch (err) {
      throw new StoreHeaderError('its scrypt parameters are out of bounds', { cause: err });
    }
  }
  return parsed.data;
}

/** Writes the header atomically and durably: a temp file, fsync, rename over the old one, fsync of the directory. */
export function writeHeader(dbPath: string, header: StoreHeader): void {
  const target = headerPath(dbPath);
  const tmp = `${target}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(header, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, target);
  syncDirectory(dirname(target));
}

export function removeHeader(dbPath: string): void {
  rmSync(headerPath(dbPath), { force: true });
  rmSync(`${headerPath(dbPath)}.tmp`, { force: true });
}
