/**
 * The last good copy of the directory, on disk in a directory the caller gives (the profile's), so that a failed or
 * refused refresh never leaves Cove without one:
 *
 *   <dir>/last-good.json  {"format":1,"document":"<canonical text>","signatures":"<bundle>","revokedSigners":[…]}
 *
 * One file, written atomically (a temp file, fsync, rename over the old one, fsync of the directory), so a crash leaves
 * either the old copy or the new one. `revokedSigners` is every signer revocation of every directory accepted so far:
 * a later directory cannot un-revoke a key by leaving it out.
 *
 * On load the copy is verified again (the file may have been damaged or edited; expiry is reported, not enforced:
 * an expired copy is still the best there is), and compared with the directory shipped with the app: the newer
 * (higher serial) valid one is current. If neither is valid, there is no directory (`current()` is undefined).
 */
import { syncDirectory } from '../fs/sync-dir';
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Logger } from '../log/redact';
import { DirectoryStoreError } from './errors';
import type { NetworkKeys } from './network';
import { SignerRevocationSchema, type SignerRevocation } from './schema';
import { isExpired, verifyDirectory, type VerifiedDirectory } from './verify';

export const STORE_FILE = 'last-good.json';

const StoredSchema = z.strictObject({
  format: z.literal(1),
  document: z.string(),
  signatures: z.string(),
  revokedSigners: z.array(SignerRevocationSchema).max(1024),
  savedAt: z.string(),
});

export interface SignedCopy {
  bytes: Uint8Array;
  signatures: string;
}

export interface CurrentDirectory {
  readonly directory: VerifiedDirectory;
  /** Where the current copy came from: accepted from a refresh (and stored), or shipped with the app. */
  readonly source: 'stored' | 'shipped';
  /** True once `expires` has passed: still used, but the UI should say the list may be out of date. */
  readonly expired: boolean;
}

export interface DirectoryStoreOptions {
  /** Where last-good.json lives; created if missing. */
  dir: string;
  network: NetworkKeys;
  /** The directory shipped with the app (resources/directory/): the fallback when nothing was stored. */
  shipped?: SignedCopy | undefined;
  now?: () => Date;
  logger?: Logger;
}

export class DirectoryStore {
  private currentCopy: { directory: VerifiedDirectory; source: 'stored' | 'shipped' } | undefined;
  private revoked = new Map<string, SignerRevocation>();
  /** Accepts run one at a time: each is verified against the copy the previous one left. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly now: () => Date;

  constructor(private readonly o: DirectoryStoreOptions) {
    this.now = o.now ?? (() => new Date());
  }

  get file(): string {
    return join(this.o.dir, STORE_FILE);
  }

  /** Reads and re-verifies the stored copy and the shipped one; the newer valid one becomes current. */
  async load(): Promise<CurrentDirectory | undefined> {
    const stored = this.readStored();
    for (const r of stored?.revokedSigners ?? []) this.revoked.set(r.fingerprint, r);
    const candidates: { directory: VerifiedDirectory; source: 'stored' | 'shipped' }[] = [];
    if (stored !== undefined) {
      const d = await this.reverify({ bytes: new TextEncoder().encode(stored.document), signatures: stored.signatures }, 'stored');
      if (d !== undefined) candidates.push({ directory: d, source: 'stored' });
    }
    if (this.o.shipped !== undefined) {
      const d = await this.reverify(this.o.shipped, 'shipped');
      if (d !== undefined) candidates.push({ directory: d, source: 'shipped' });
    }
    candidates.sort((a, b) => b.directory.document.serial - a.directory.document.serial);
    this.currentCopy = candidates[0];
    if (this.currentCopy !== undefined) this.remember(this.currentCopy.directory);
    return this.current();
  }

  current(): CurrentDirectory | undefined {
    const c = this.currentCopy;
    return c === undefined ? undefined : { ...c, expired: isExpired(c.directory.document, this.now()) };
  }

  /** Signer fingerprints no directory will be counted from again. */
  revokedSigners(): ReadonlySet<string> {
    return new Set(this.revoked.keys());
  }

  /**
   * Verifies a copy against the current one (newer serial, k signatures, revocations, expiry) and, if it passes,
   * saves it and makes it current. On any error it throws (a DirectoryError) and the last good copy stays, on disk
   * and in memory.
   */
  async accept(copy: SignedCopy): Promise<VerifiedDirectory> {
    const run = this.queue.then(() => this.acceptNow(copy));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async acceptNow(copy: SignedCopy): Promise<VerifiedDirectory> {
    const last = this.currentCopy?.directory.document;
    const directory = await verifyDirectory(copy.bytes, copy.signatures, {
      network: this.o.network,
      lastGood: last === undefined ? undefined : { serial: last.serial, threshold: last.threshold },
      revokedSigners: this.revoked.keys(),
      now: this.now(),
    });
    const revoked = new Map(this.revoked);
    for (const r of directory.document.revocations.signers) if (!revoked.has(r.fingerprint)) revoked.set(r.fingerprint, r);
    this.write({
      format: 1,
      document: new TextDecoder().decode(directory.bytes),
      signatures: directory.signatures,
      revokedSigners: [...revoked.values()],
      savedAt: this.now().toISOString(),
    });
    this.revoked = revoked;
    this.currentCopy = { directory, source: 'stored' };
    this.o.logger?.info(`server directory serial ${String(directory.document.serial)} accepted (${String(directory.signers.length)} of ${String(directory.required)} signatures needed)`);
    return directory;
  }

  private remember(d: VerifiedDirectory): void {
    for (const r of d.document.revocations.signers) if (!this.revoked.has(r.fingerprint)) this.revoked.set(r.fingerprint, r);
  }

  private readStored(): z.infer<typeof StoredSchema> | undefined {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return undefined;
    }
    try {
      const r = StoredSchema.safeParse(JSON.parse(text));
      if (r.success) return r.data;
    } catch {
      // fall through
    }
    this.o.logger?.warn('the stored server directory is unreadable: it is ignored');
    return undefined;
  }

  private async reverify(copy: SignedCopy, what: string): Promise<VerifiedDirectory | undefined> {
    try {
      return await verifyDirectory(copy.bytes, copy.signatures, { network: this.o.network, revokedSigners: this.revoked.keys(), now: this.now(), checkExpiry: false });
    } catch (err) {
      this.o.logger?.log('warn', `the ${what} server directory does not verify: it is ignored`, err);
      return undefined;
    }
  }

  private write(data: z.infer<typeof StoredSchema>): void {
    const target = this.file;
    const tmp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      mkdirSync(this.o.dir, { recursive: true, mode: 0o700 });
      const fd = openSync(tmp, 'wx', 0o600);
      try {
        writeSync(fd, `${JSON.stringify(data)}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, target);
    } catch (err) {
      try {
        rmSync(tmp, { force: true });
      } catch {
        // nothing was written, or the directory itself is gone
      }
      throw new DirectoryStoreError(err instanceof Error && 'code' in err ? String(err.code) : 'write failed', { cause: err });
    }
    syncDirectory(this.o.dir);
  }
}
