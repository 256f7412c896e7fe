/**
 * The PEP payloads of OX (XEP-0373 §4 and §5), built strictly and read liberally but bounded:
 *   public key node `urn:xmpp:openpgp:0:public-keys:<FP>`:
 *     <pubkey xmlns='urn:xmpp:openpgp:0' date='…'><data>BASE64 of the binary key</data></pubkey>
 *   metadata node `urn:xmpp:openpgp:0:public-keys`:
 *     <public-keys-list xmlns='urn:xmpp:openpgp:0'><pubkey-metadata v4-fingerprint='…' date='…'/>…</public-keys-list>
 *   secret key node `urn:xmpp:openpgp:0:secret-key`:
 *     <secretkey xmlns='urn:xmpp:openpgp:0'>BASE64</secretkey>
 * Reading never throws: what cannot be used is left out and counted, so the caller can report it.
 */
import { xml, type Element } from '@xmpp/client';
import { MAX_KEY_TEXT, normalizeFingerprint } from '../crypto/keys';
import { OX_NS } from '../crypto/signcrypt';
import { formatStamp, parseStamp } from '../crypto/time';

export const NS_OX = OX_NS;
export const NODE_PUBLIC_KEYS = 'urn:xmpp:openpgp:0:public-keys';
export const NODE_SECRET_KEY = 'urn:xmpp:openpgp:0:secret-key';
/** Item id of the (singleton) metadata list and secret key items. */
export const CURRENT_ITEM = 'current';
/** More keys than anyone has devices: a longer list is cut (and the cut counted). */
export const MAX_LIST_ENTRIES = 32;
/** Base64 of a key of MAX_KEY_TEXT bytes, plus line breaks. */
const MAX_DATA_CHARS = Math.ceil(MAX_KEY_TEXT / 3) * 4 + 64 * 1024;
/** Backups hold one or a few secret keys. */
const MAX_SECRET_CHARS = 2 * 1024 * 1024;

export function publicKeyNode(fingerprint: string): string {
  return `${NODE_PUBLIC_KEYS}:${fingerprint}`;
}

export interface KeyMetadata {
  /** Upper-case hex v4 fingerprint. */
  readonly fingerprint: string;
  /** When the key was published, if the entry said so (and it could be read). */
  readonly date?: Date;
}

export function buildPubkey(base64Key: string, date: Date): Element {
  return xml('pubkey', { xmlns: NS_OX, date: formatStamp(date) }, xml('data', {}, base64Key));
}

/** The key text of a `<pubkey/>` (Base64, whitespace removed), or undefined if it has none or too much. */
export function parsePubkey(pubkey: Element | undefined): { data: string; date?: Date } | undefined {
  if (pubkey?.is('pubkey', NS_OX) !== true) return undefined;
  const raw = pubkey.getChildText('data');
  if (raw === null || raw.length > MAX_DATA_CHARS) return undefined;
  const data = raw.replace(/\s+/g, '');
  if (data.length === 0) return undefined;
  const date = pubkey.attrs.date === undefined ? null : parseStamp(pubkey.attrs.date);
  return { data, ...(date === null ? {} : { date }) };
}

export function buildKeysList(entries: readonly KeyMetadata[], now: Date): Element {
  return xml(
    'public-keys-list',
    { xmlns: NS_OX },
    ...entries.map((e) => xml('pubkey-metadata', { 'v4-fingerprint': e.fingerprint, date: formatStamp(e.date ?? now) })),
  );
}

export interface ParsedKeysList {
  readonly entries: readonly KeyMetadata[];
  /** Entries left out: no or a bad fingerprint, duplicates, or beyond MAX_LIST_ENTRIES. */
  readonly dropped: number;
}

/** Reads a `<public-keys-list/>`; undefined when `list` is not one. */
export function parseKeysList(list: Element | undefined): ParsedKeysList | undefined {
  if (list?.is('public-keys-list', NS_OX) !== true) return undefined;
  const entries: KeyMetadata[] = [];
  const seen = new Set<string>();
  let dropped = 0;
  for (const el of list.getChildren('pubkey-metadata')) {
    const fingerprint = normalizeFingerprint(el.attrs['v4-fingerprint'] ?? '');
    if (fingerprint?.length !== 40 || seen.has(fingerprint) || entries.length >= MAX_LIST_ENTRIES) {
      dropped += 1;
      continue;
    }
    seen.add(fingerprint);
    const date = el.attrs.date === undefined ? null : parseStamp(el.attrs.date);
    entries.push({ fingerprint, ...(date === null ? {} : { date }) });
  }
  return { entries, dropped };
}

export function buildSecretKey(base64Backup: string): Element {
  return xml('secretkey', { xmlns: NS_OX }, base64Backup);
}

/** The Base64 text of a `<secretkey/>`, whitespace removed; undefined if it is not one, empty or too large. */
export function parseSecretKey(el: Element | undefined): string | undefined {
  if (el?.is('secretkey', NS_OX) !== true) return undefined;
  const raw = el.text();
  if (raw.length > MAX_SECRET_CHARS) return undefined;
  const text = raw.replace(/\s+/g, '');
  return text.length === 0 ? undefined : text;
}

/** The payload of the first `<item/>` of an `<items/>` element (the newest one, for max_items=1 queries and events). */
export function firstPayload(items: Element | undefined): Element | undefined {
  return items?.getChild('item')?.getChildElements()[0];
}
