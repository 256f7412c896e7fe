/**
 * Contacts' OX (XEP-0373) public keys with their trust state:
 * - tofu: the first key seen for a JID, trusted on first use;
 * - verified: the user compared the fingerprint out of band;
 * - changed: a key that appeared after another one was known for the JID. The UI must say so before it encrypts to
 *   it; the user then verifies it (verified) or accepts it (tofu);
 * - rejected: the user refused the key: it is never used and no longer waits for a decision (kept, so that the same
 *   key published again is not asked about again; a verify or accept undoes it).
 */
import type { Db } from './db';
import { StoreInputError } from './errors';

export type Trust = 'tofu' | 'verified' | 'changed' | 'rejected';

export interface ContactKey {
  readonly accountId: number;
  readonly jid: string;
  /** The OpenPGP fingerprint, upper-case hex (40 digits for v4 keys, 64 for v6). */
  readonly fingerprint: string;
  /** The binary (not armored) public key. */
  readonly publicKey: Buffer;
  readonly trust: Trust;
  readonly firstSeen: number;
  readonly lastSeen: number;
}

interface KeyRow {
  account_id: number;
  jid: string;
  fingerprint: string;
  public_key: Buffer;
  trust: Trust;
  first_seen: number;
  last_seen: number;
}

const toKey = (r: KeyRow): ContactKey => ({
  accountId: r.account_id,
  jid: r.jid,
  fingerprint: r.fingerprint,
  publicKey: r.public_key,
  trust: r.trust,
  firstSeen: r.first_seen,
  lastSeen: r.last_seen,
});

function normaliseFingerprint(fp: string): string {
  const hex = fp.replace(/\s+/gu, '').toUpperCase();
  if (!/^(?:[0-9A-F]{40}|[0-9A-F]{64})$/u.test(hex)) throw new StoreInputError('A fingerprint is 40 or 64 hex digits.');
  return hex;
}

export class ContactKeys {
  private readonly one;
  private readonly forJid;
  private readonly countForJid;
  private readonly insertStmt;
  private readonly seenStmt;
  private readonly trustStmt;
  private readonly removeStmt;
  private readonly observeTx;

  constructor(db: Db) {
    this.one = db.prepare<[number, string, string], KeyRow>('SELECT * FROM contact_keys WHERE account_id = ? AND jid = ? AND fingerprint = ?');
    this.forJid = db.prepare<[number, string], KeyRow>('SELECT * FROM contact_keys WHERE account_id = ? AND jid = ? ORDER BY first_seen, fingerprint');
    this.countForJid = db.prepare<[number, string], { n: number }>('SELECT count(*) AS n FROM contact_keys WHERE account_id = ? AND jid = ?');
    this.insertStmt = db.prepare<[number, string, string, Buffer, Trust, number, number]>(
      'INSERT INTO contact_keys (account_id, jid, fingerprint, public_key, trust, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.seenStmt = db.prepare<[Buffer, number, number, string, string]>(
      'UPDATE contact_keys SET public_key = ?, last_seen = ? WHERE account_id = ? AND jid = ? AND fingerprint = ?',
    );
    this.trustStmt = db.prepare<[Trust, number, string, string]>('UPDATE contact_keys SET trust = ? WHERE account_id = ? AND jid = ? AND fingerprint = ?');
    this.removeStmt = db.prepare<[number, string, string]>('DELETE FROM contact_keys WHERE account_id = ? AND jid = ? AND fingerprint = ?');
    this.observeTx = db.transaction((accountId: number, jid: string, fp: string, publicKey: Buffer, now: number): ContactKey => {
      const known = this.one.get(accountId, jid, fp);
      if (known !== undefined) {
        // The same key again (perhaps with new self-signatures or user ids): refresh it, keep its trust.
        this.seenStmt.run(publicKey, now, accountId, jid, fp);
        return toKey({ ...known, public_key: publicKey, last_seen: now });
      }
      const first = (this.countForJid.get(accountId, jid)?.n ?? 0) === 0;
      const trust: Trust = first ? 'tofu' : 'changed';
      this.insertStmt.run(accountId, jid, fp, publicKey, trust, now, now);
      return { accountId, jid, fingerprint: fp, publicKey, trust, firstSeen: now, lastSeen: now };
    });
  }

  /** Records a key published for `jid` (XEP-0373 public-key node) and returns it with its trust state. */
  observe(accountId: number, jid: string, fingerprint: string, publicKey: Buffer, now = Date.now()): ContactKey {
    return this.observeTx.immediate(accountId, jid, normaliseFingerprint(fingerprint), publicKey, now);
  }

  list(accountId: number, jid: string): ContactKey[] {
    return this.forJid.all(accountId, jid).map(toKey);
  }

  get(accountId: number, jid: string, fingerprint: string): ContactKey | undefined {
    const row = this.one.get(accountId, jid, normaliseFingerprint(fingerprint));
    return row === undefined ? undefined : toKey(row);
  }

  /** The user compared the fingerprint. */
  verify(accountId: number, jid: string, fingerprint: string): boolean {
    return this.trustStmt.run('verified', accountId, jid, normaliseFingerprint(fingerprint)).changes > 0;
  }

  /** The user accepted a changed key without comparing it: it is trusted on use, like a first key. */
  accept(accountId: number, jid: string, fingerprint: string): boolean {
    return this.trustStmt.run('tofu', accountId, jid, normaliseFingerprint(fingerprint)).changes > 0;
  }

  /**
   * Puts a key back to waiting for the user's decision, e.g. when an invite link named another key than the one
   * published: it must not count as trusted on first use.
   */
  markChanged(accountId: number, jid: string, fingerprint: string): boolean {
    return this.trustStmt.run('changed', accountId, jid, normaliseFingerprint(fingerprint)).changes > 0;
  }

  /** The user refused the key. */
  reject(accountId: number, jid: string, fingerprint: string): boolean {
    return this.trustStmt.run('rejected', accountId, jid, normaliseFingerprint(fingerprint)).changes > 0;
  }

  /** The contact withdrew the key (or the user removed it). */
  remove(accountId: number, jid: string, fingerprint: string): boolean {
    return this.removeStmt.run(accountId, jid, normaliseFingerprint(fingerprint)).changes > 0;
  }
}
