/**
 * Contacts' nicknames (vCard4, XEP-0292) and pictures (XEP-0084) kept in the profile database, so they show while a
 * gateway is away: the ProfileCache of src/xmpp/vcard.ts over store/contacts.ts. The nickname is kept as the
 * contact's vCard column ({"nickname": …}); a picture under its SHA-1, shared by every contact that uses it.
 */
import type { Store } from '../store';
import type { Avatar, Profile, ProfileCache } from '../xmpp/vcard';

const TYPES = new Set(['image/png', 'image/jpeg']);

export class StoreProfileCache implements ProfileCache {
  constructor(
    private readonly store: Store,
    private readonly accountId: number,
  ) {}

  get(jid: string): Profile | undefined {
    const contact = this.store.contacts.get(this.accountId, jid);
    if (contact === undefined) return undefined;
    const nickname = nicknameOf(contact.vcard);
    const cached = contact.avatarHash === null ? undefined : this.store.contacts.avatar(contact.avatarHash);
    const avatar: Avatar | undefined =
      cached === undefined || !TYPES.has(cached.mime) ? undefined : { id: cached.hash, type: cached.mime as Avatar['type'], bytes: new Uint8Array(cached.data) };
    return { ...(nickname === undefined ? {} : { nickname }), ...(avatar === undefined ? {} : { avatar }) };
  }

  set(jid: string, profile: Profile): void {
    this.store.contacts.setVCard(this.accountId, jid, profile.nickname === undefined ? null : JSON.stringify({ nickname: profile.nickname }));
    const a = profile.avatar;
    this.store.contacts.setAvatar(this.accountId, jid, a === undefined ? null : { hash: a.id, mime: a.type, data: Buffer.from(a.bytes) });
  }
}

export function nicknameOf(vcard: string | null): string | undefined {
  if (vcard === null) return undefined;
  try {
    const value: unknown = JSON.parse(vcard);
    if (value !== null && typeof value === 'object' && 'nickname' in value && typeof value.nickname === 'string') return value.nickname;
  } catch {
    // An older or foreign value: no nickname.
  }
  return undefined;
}

/** A cached picture (by its hash) as a data: URL (the renderer's CSP allows data: images), or null. */
export function avatarOf(store: Store, hash: string | null): string | null {
  const a = hash === null ? undefined : store.contacts.avatar(hash);
  return a === undefined || !TYPES.has(a.mime) ? null : `data:${a.mime};base64,${a.data.toString('base64')}`;
}
