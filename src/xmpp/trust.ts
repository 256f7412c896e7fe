/**
 * The trust model of OX keys, kept in the profile database (store/contact-keys.ts):
 * - the first key(s) seen for a JID are trusted on first use (`tofu`) and usable at once;
 * - a key the user compared (or an invite link's `ox=` fingerprint named) is `verified`;
 * - a key that appears for a JID that already had one (new device, or a replaced key) is `changed`: nothing is sent to
 *   that JID (canSendTo says OxKeyDecisionPendingError) until the user accepts it (→ tofu), verifies it (→ verified)
 *   or rejects it;
 * - a key gone from the contact's published list is dropped and no longer used;
 * - an invite whose fingerprint matches no published key is a loud OxFingerprintMismatchError, and the keys stay
 *   `changed` (never trusted on first use).
 * Our own keys (ours and our other devices') are kept under our own JID: the one we hold is `verified`; another one
 * appearing is `changed` like any other.
 *
 * A rejection is stored (trust `rejected`): the key is never used and the user is not asked about it again, until
 * they accept or verify it after all.
 */
import type { ContactKey, ContactKeys, Trust } from '../store/contact-keys';
import { encodeBase64, normalizeBareJid } from '../crypto/encoding';
import { fingerprintsMatch, importPublicKey, normalizeFingerprint, type OxPublicKey } from '../crypto/keys';
import { OxFingerprintMismatchError, OxKeyDecisionPendingError, OxNoKeyError, OxUnknownKeyError, type OxKeysError } from './ox-keys-errors';

export type SendCheck = { readonly ok: true; readonly keys: readonly ContactKey[] } | { readonly ok: false; readonly error: OxKeysError };

/** A key we hold for a JID, with its trust state. Usable wherever an OxPublicKey is expected. */
export interface HeldKey extends OxPublicKey {
  readonly trust: Trust;
}

export interface Reconciled {
  readonly jid: string;
  /** All keys held for the JID after the update (rejected ones included, see `rejected`). */
  readonly keys: readonly ContactKey[];
  /** Fingerprints seen for the first time. */
  readonly added: readonly string[];
  /** Fingerprints dropped because they are no longer published. */
  readonly removed: readonly string[];
  /** Fingerprints waiting for the user's decision. */
  readonly pending: readonly string[];
}

export interface TrustBookOptions {
  readonly store: ContactKeys;
  readonly accountId: number;
  readonly ownJid: string;
  readonly now?: () => Date;
}

const USABLE: ReadonlySet<Trust> = new Set<Trust>(['tofu', 'verified']);

export class TrustBook {
  private readonly store: ContactKeys;
  private readonly accountId: number;
  private readonly ownJid: string;
  private readonly now: () => Date;
  private readonly ownFingerprints = new Set<string>();
  private readonly parsed = new Map<string, OxPublicKey>();

  constructor(options: TrustBookOptions) {
    this.store = options.store;
    this.accountId = options.accountId;
    this.ownJid = normalizeBareJid(options.ownJid);
    this.now = options.now ?? ((): Date => new Date());
  }

  /** Our own key (the one whose secret we hold): kept as verified and never dropped by a list update. */
  trustOwnKey(key: OxPublicKey): ContactKey {
    const fp = key.fingerprint;
    this.ownFingerprints.add(fp);
    this.store.observe(this.accountId, this.ownJid, fp, Buffer.from(key.key.write()), this.now().getTime());
    this.store.verify(this.accountId, this.ownJid, fp);
    return this.require(this.ownJid, fp);
  }

  /**
   * Brings the keys held for `jid` in line with the keys it publishes now (already checked for the JID by
   * importPublicKey), applying the rules at the top of this file. With `expectedFingerprint` (an invite's `ox=`), a
   * published key with that fingerprint becomes verified; if none has it, OxFingerprintMismatchError is thrown after
   * the keys are stored as `changed`.
   */
  reconcile(jidText: string, published: readonly OxPublicKey[], expectedFingerprint?: string): Reconciled {
    const jid = normalizeBareJid(jidText);
    const before = this.store.list(this.accountId, jid);
    const hadKeys = before.length > 0;
    const now = this.now().getTime();
    const publishedFps = new Set(published.map((k) => k.fingerprint));
    if (published.some((k) => k.jid !== jid)) throw new RangeError('a key for another JID was given');
    const added: string[] = [];
    for (const key of published) {
      const known = before.some((k) => k.fingerprint === key.fingerprint);
      const stored = this.store.observe(this.accountId, jid, key.fingerprint, Buffer.from(key.key.write()), now);
      if (known) continue;
      added.push(key.fingerprint);
      // The first keys ever seen for a JID are all first-use keys (a contact with two devices has two at once).
      if (!hadKeys && stored.trust === 'changed') this.store.accept(this.accountId, jid, key.fingerprint);
    }
    // Removed after the new keys are stored: a replaced key must count as changed, not as a first key.
    const removed: string[] = [];
    for (const old of before) {
      if (publishedFps.has(old.fingerprint) || (jid === this.ownJid && this.ownFingerprints.has(old.fingerprint))) continue;
      this.store.remove(this.accountId, jid, old.fingerprint);
      removed.push(old.fingerprint);
    }
    if (expectedFingerprint !== undefined) this.applyExpected(jid, expectedFingerprint, added);
    return this.summary(jid, added, removed);
  }

  /** The user accepts a pending key without comparing it: it becomes trusted on use. */
  accept(jidText: string, fingerprint: string): ContactKey {
    const jid = normalizeBareJid(jidText);
    const key = this.require(jid, fingerprint);
    if (key.trust === 'changed' || key.trust === 'rejected') this.store.accept(this.accountId, jid, key.fingerprint);
    return this.require(jid, key.fingerprint);
  }

  /**
   * The user compared `fingerprint` with the contact (read aloud, scanned from their invite or QR code): the key
   * with that fingerprint becomes verified. No key with it → OxFingerprintMismatchError (the comparison failed).
   */
  verify(jidText: string, fingerprint: string): ContactKey {
    const jid = normalizeBareJid(jidText);
    const held = this.store.list(this.accountId, jid);
    const key = held.find((k) => fingerprintsMatch(k.fingerprint, fingerprint));
    if (key === undefined) throw new OxFingerprintMismatchError(jid, normalizeFingerprint(fingerprint) ?? '', held.map((k) => k.fingerprint));
    this.store.verify(this.accountId, jid, key.fingerprint);
    return this.require(jid, key.fingerprint);
  }

  /** The user refuses a key: it is never used and no longer blocks sending. */
  reject(jidText: string, fingerprint: string): void {
    const jid = normalizeBareJid(jidText);
    const key = this.require(jid, fingerprint);
    this.store.reject(this.accountId, jid, key.fingerprint);
  }

  isRejected(jid: string, fingerprint: string): boolean {
    const fp = normalizeFingerprint(fingerprint);
    return fp !== null && this.store.get(this.accountId, normalizeBareJid(jid), fp)?.trust === 'rejected';
  }

  /** All keys held for `jid`, rejected ones included. */
  list(jid: string): ContactKey[] {
    return this.store.list(this.accountId, normalizeBareJid(jid));
  }

  /** Keys waiting for the user's decision. */
  pending(jid: string): ContactKey[] {
    const bare = normalizeBareJid(jid);
    return this.list(bare).filter((k) => k.trust === 'changed');
  }

  /** Whether we may encrypt to `jid` now, and to which keys; a typed reason when not. */
  canSendTo(jidText: string): SendCheck {
    const jid = normalizeBareJid(jidText);
    const live = this.list(jid).filter((k) => k.trust !== 'rejected');
    const pending = live.filter((k) => k.trust === 'changed');
    if (pending.length > 0) return { ok: false, error: new OxKeyDecisionPendingError(jid, pending.map((k) => k.fingerprint)) };
    const usable = live.filter((k) => USABLE.has(k.trust));
    if (usable.length === 0) return { ok: false, error: new OxNoKeyError(jid) };
    return { ok: true, keys: usable };
  }

  /** The accepted keys of `jid`, ready for encryptSigncrypt; throws OxKeyDecisionPendingError or OxNoKeyError. */
  async keysForSending(jid: string): Promise<OxPublicKey[]> {
    const check = this.canSendTo(jid);
    if (!check.ok) throw check.error;
    const keys = (await Promise.all(check.keys.map((k) => this.parse(k)))).filter((k) => k !== undefined);
    if (keys.length === 0) throw new OxNoKeyError(normalizeBareJid(jid));
    return keys;
  }

  /**
   * Every key we hold for `jid` that is not rejected, pending ones included, each with its trust (the UI marks a
   * message signed by a pending key). For our own JID: our key and our other devices' keys.
   */
  async keysForVerifying(jidText: string): Promise<HeldKey[]> {
    const jid = normalizeBareJid(jidText);
    const held = this.list(jid).filter((k) => k.trust !== 'rejected');
    const out: HeldKey[] = [];
    for (const k of held) {
      const key = await this.parse(k);
      if (key !== undefined) out.push({ ...key, trust: k.trust });
    }
    return out;
  }

  private applyExpected(jid: string, expectedFingerprint: string, added: readonly string[]): void {
    const expected = normalizeFingerprint(expectedFingerprint);
    const held = this.store.list(this.accountId, jid);
    const match = expected === null ? undefined : held.find((k) => k.fingerprint === expected);
    if (match !== undefined) {
      this.store.verify(this.accountId, jid, match.fingerprint);
      // Other keys that came with it are not vouched for by the invite: the user decides on them.
      for (const fp of added) if (fp !== match.fingerprint) this.store.markChanged(this.accountId, jid, fp);
      return;
    }
    for (const k of held) if (k.trust === 'tofu') this.store.markChanged(this.accountId, jid, k.fingerprint);
    throw new OxFingerprintMismatchError(jid, expected ?? '', held.map((k) => k.fingerprint));
  }

  private summary(jid: string, added: readonly string[], removed: readonly string[]): Reconciled {
    const keys = this.store.list(this.accountId, jid);
    const pending = keys.filter((k) => k.trust === 'changed').map((k) => k.fingerprint);
    return { jid, keys, added, removed, pending };
  }

  private require(jid: string, fingerprint: string): ContactKey {
    const fp = normalizeFingerprint(fingerprint);
    const key = fp === null ? undefined : this.store.get(this.accountId, jid, fp);
    if (key === undefined) throw new OxUnknownKeyError(jid);
    return key;
  }

  /** The stored key, checked for its JID at the current time (expired or revoked since: left out). */
  private async parse(k: ContactKey): Promise<OxPublicKey | undefined> {
    const cacheKey = `${k.jid}\n${k.fingerprint}\n${String(k.lastSeen)}`;
    const cached = this.parsed.get(cacheKey);
    if (cached !== undefined) return cached;
    try {
      const key = await importPublicKey(encodeBase64(k.publicKey), k.jid, this.now());
      if (key.fingerprint !== k.fingerprint) return undefined;
      this.parsed.set(cacheKey, key);
      return key;
    } catch {
      return undefined;
    }
  }
}
