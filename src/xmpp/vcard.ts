/**
 * Profiles: the nickname from vCard4 (XEP-0292, on PEP node urn:xmpp:vcard4) and the avatar (XEP-0084: bytes on
 * `urn:xmpp:avatar:data`, item id = SHA-1 of the bytes; description on `urn:xmpp:avatar:metadata`). Avatars are
 * PNG or JPEG only (checked on the bytes, not the declared type), at most `maxAvatarBytes`, and their hash must
 * match. What was fetched goes to a ProfileCache, which answers while the server is away (the encrypted store
 * implements it in the app; MemoryProfileCache is for tests). A contact's PEP data is usually readable only once we
 * are subscribed to their presence; without it the request fails with XmppRequestError('forbidden'/…).
 */
import { createHash } from 'node:crypto';
import { xml, type Element } from '@xmpp/client';
import type { XmppAccount } from './account';
import { imageSize, sniffImageType, type AvatarType } from './avatar-image';
import { XmppInputError, XmppRequestError } from './errors';
import { publish, pubsubItems } from './pep';
import { checkJid } from './roster';
import { LIMITS } from './validate';

export const NS_VCARD4 = 'urn:ietf:params:xml:ns:vcard-4.0';
export const NS_AVATAR_DATA = 'urn:xmpp:avatar:data';
export const NS_AVATAR_METADATA = 'urn:xmpp:avatar:metadata';

export const DEFAULT_MAX_AVATAR_BYTES = 64 * 1024;

export interface Avatar {
  /** SHA-1 of the bytes, hex (the XEP-0084 item id). */
  readonly id: string;
  readonly type: AvatarType;
  readonly bytes: Uint8Array;
  readonly width?: number;
  readonly height?: number;
}

export interface Profile {
  readonly nickname?: string;
  readonly avatar?: Avatar;
}

/** Where fetched profiles are kept (by bare JID) so that they show while offline. */
export interface ProfileCache {
  get(jid: string): Profile | undefined | Promise<Profile | undefined>;
  set(jid: string, profile: Profile): void | Promise<void>;
}

export class MemoryProfileCache implements ProfileCache {
  private readonly map = new Map<string, Profile>();
  get(jid: string): Profile | undefined {
    return this.map.get(jid);
  }
  set(jid: string, profile: Profile): void {
    this.map.set(jid, profile);
  }
}

export class AvatarError extends XmppInputError {
  override name = 'AvatarError';
}

function sha1Hex(bytes: Uint8Array): string {
  return createHash('sha1').update(bytes).digest('hex');
}

/** Checks avatar bytes (ours or a contact's): type from the bytes, size cap, declared type and hash if given. */
export function checkAvatar(bytes: Uint8Array, maxBytes: number, expect?: { id?: string; type?: string }): Avatar {
  if (bytes.length === 0) throw new AvatarError('avatar-empty', 'The picture is empty.');
  if (bytes.length > maxBytes) throw new AvatarError('avatar-too-big', `The picture is too big (at most ${Math.floor(maxBytes / 1024)} KiB).`);
  const type = sniffImageType(bytes);
  if (type === undefined) throw new AvatarError('avatar-bad-type', 'The picture must be a PNG or JPEG image.');
  if (expect?.type !== undefined && expect.type !== type) throw new AvatarError('avatar-bad-type', 'The picture is not of the type it claims.');
  const id = sha1Hex(bytes);
  if (expect?.id !== undefined && expect.id.toLowerCase() !== id) throw new AvatarError('avatar-bad-hash', 'The picture does not match its checksum.');
  const size = imageSize(bytes, type);
  return { id, type, bytes, ...(size === undefined ? {} : size) };
}

export class Profiles {
  readonly maxAvatarBytes: number;

  constructor(
    private readonly account: XmppAccount,
    private readonly cache: ProfileCache,
    options: { maxAvatarBytes?: number } = {},
  ) {
    this.maxAvatarBytes = options.maxAvatarBytes ?? DEFAULT_MAX_AVATAR_BYTES;
  }

  async setNickname(nickname: string): Promise<void> {
    if (nickname.length === 0 || nickname.length > LIMITS.nameLength) throw new XmppInputError('bad-nickname', 'The nickname must be 1 to 256 characters.');
    const vcard = xml('vcard', { xmlns: NS_VCARD4 }, xml('nickname', {}, xml('text', {}, nickname)));
    await this.account.iq('set', vcard, 'saving the nickname');
    await this.remember(this.account.bareJid, { nickname });
  }

  /** The nickname of a vCard4, or undefined when it has none. */
  async fetchNickname(jid: string): Promise<string | undefined> {
    const bare = checkJid(jid);
    let vcard: Element | undefined;
    try {
      vcard = await this.account.iq('get', xml('vcard', { xmlns: NS_VCARD4 }), 'fetching a profile', bare);
    } catch (err) {
      if (err instanceof XmppRequestError && err.condition === 'item-not-found') return undefined;
      throw err;
    }
    const text = vcard?.getChild('nickname')?.getChildText('text') ?? undefined;
    if (text === undefined) return undefined;
    if (text.length > LIMITS.nameLength) {
      this.account.reject({ module: 'vcard', stanza: 'iq', reason: 'oversized' });
      return undefined;
    }
    return text;
  }

  /** Publishes our avatar: the bytes first, then the metadata that points at them (XEP-0084 §4.1). */
  async setAvatar(bytes: Uint8Array): Promise<Avatar> {
    const avatar = checkAvatar(bytes, this.maxAvatarBytes);
    const data = xml('data', { xmlns: NS_AVATAR_DATA }, Buffer.from(bytes).toString('base64'));
    await this.account.iq('set', publish(NS_AVATAR_DATA, avatar.id, data), 'publishing the picture');
    const info = xml('info', {
      id: avatar.id,
      type: avatar.type,
      bytes: bytes.length,
      ...(avatar.width === undefined ? {} : { width: avatar.width, height: avatar.height }),
    });
    await this.account.iq('set', publish(NS_AVATAR_METADATA, avatar.id, xml('metadata', { xmlns: NS_AVATAR_METADATA }, info)), 'publishing the picture');
    await this.remember(this.account.bareJid, { avatar });
    return avatar;
  }

  /** A contact's (or our own) avatar, checked; undefined when there is none. */
  async fetchAvatar(jid: string): Promise<Avatar | undefined> {
    const bare = checkJid(jid);
    const meta = await this.items(bare, NS_AVATAR_METADATA);
    const infos = meta?.getChild('item')?.getChild('metadata', NS_AVATAR_METADATA)?.getChildren('info') ?? [];
    // The hosted (PEP) one: an <info/> without url, of a type we show.
    const info = infos.find((i) => i.attrs.url === undefined && (i.attrs.type === 'image/png' || i.attrs.type === 'image/jpeg'));
    const id = info?.attrs.id;
    if (info === undefined || id === undefined || !/^[0-9a-f]{40}$/i.test(id)) return undefined;
    const declared = Number(info.attrs.bytes);
    if (!Number.isInteger(declared) || declared <= 0 || declared > this.maxAvatarBytes) {
      this.account.reject({ module: 'vcard', stanza: 'iq', reason: 'bad-avatar' });
      return undefined;
    }
    const dataItems = await this.items(bare, NS_AVATAR_DATA, id);
    const text = dataItems?.getChild('item')?.getChildText('data', NS_AVATAR_DATA)?.replace(/\s+/g, '') ?? '';
    if (text.length === 0 || text.length > Math.ceil(this.maxAvatarBytes / 3) * 4 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
      this.account.reject({ module: 'vcard', stanza: 'iq', reason: 'bad-avatar' });
      return undefined;
    }
    try {
      return checkAvatar(new Uint8Array(Buffer.from(text, 'base64')), this.maxAvatarBytes, { id, ...(info.attrs.type === undefined ? {} : { type: info.attrs.type }) });
    } catch {
      this.account.reject({ module: 'vcard', stanza: 'iq', reason: 'bad-avatar' });
      return undefined;
    }
  }

  /**
   * The profile to show: fetched when online (and cached), else the cached one with `stale: true`. A failed fetch
   * (server away, no access yet) also falls back to the cache.
   */
  async profile(jid: string): Promise<{ profile: Profile; stale: boolean }> {
    const bare = checkJid(jid);
    const cached = (await this.cache.get(bare)) ?? {};
    if (!this.account.online) return { profile: cached, stale: true };
    try {
      const [nickname, avatar] = await Promise.all([this.fetchNickname(bare), this.fetchAvatar(bare)]);
      const profile: Profile = { ...(nickname === undefined ? {} : { nickname }), ...(avatar === undefined ? {} : { avatar }) };
      await this.cache.set(bare, profile);
      return { profile, stale: false };
    } catch (err) {
      this.account.log?.debug(`profile fetch failed: ${err instanceof Error ? err.name : 'error'}`);
      return { profile: cached, stale: true };
    }
  }

  private async items(jid: string, node: string, itemId?: string): Promise<Element | undefined> {
    try {
      const pubsub = await this.account.iq('get', pubsubItems(node, itemId), 'fetching a picture', jid);
      return pubsub?.getChild('items');
    } catch (err) {
      if (err instanceof XmppRequestError && err.condition === 'item-not-found') return undefined;
      throw err;
    }
  }

  private async remember(jid: string, part: Profile): Promise<void> {
    const old = (await this.cache.get(jid)) ?? {};
    await this.cache.set(jid, { ...old, ...part });
  }
}
