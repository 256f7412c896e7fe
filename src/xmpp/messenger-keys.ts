/**
 * Where the Messenger gets OpenPGP keys: our account key, the keys to encrypt to for a contact, and the keys that
 * may have signed a message from a contact. The real provider reads PEP (XEP-0373 public key nodes) and the user's
 * trust decisions (src/store/contact-keys.ts); MemoryKeyProvider is a fixed table for tests and tools.
 */
import { normalizeBareJid } from '../crypto/encoding';
import type { OxPublicKey, OxSecretKey } from '../crypto/keys';

export interface KeyProvider {
  /** Our account key: signs what we send, decrypts what we receive; we encrypt to it too (our other devices). */
  readonly ourKey: OxSecretKey;
  /** The keys to encrypt a message to `jid` with (bare JID); empty when there is none (sending then fails). */
  keysForSending(jid: string): readonly OxPublicKey[] | Promise<readonly OxPublicKey[]>;
  /** The keys a message from `jid` may be signed with (bare JID). */
  keysForVerifying(jid: string): readonly OxPublicKey[] | Promise<readonly OxPublicKey[]>;
}

/** Keys given by hand: the same keys for sending and verifying. */
export class MemoryKeyProvider implements KeyProvider {
  private readonly keys = new Map<string, OxPublicKey[]>();

  constructor(readonly ourKey: OxSecretKey) {}

  /** Adds a contact's key (under the JID it is bound to). */
  add(key: OxPublicKey): this {
    const jid = normalizeBareJid(key.jid);
    const list = this.keys.get(jid) ?? [];
    if (!list.some((k) => k.fingerprint === key.fingerprint)) list.push(key);
    this.keys.set(jid, list);
    return this;
  }

  keysForSending(jid: string): readonly OxPublicKey[] {
    return this.keys.get(normalizeBareJid(jid)) ?? [];
  }

  keysForVerifying(jid: string): readonly OxPublicKey[] {
    return this.keysForSending(jid);
  }
}
