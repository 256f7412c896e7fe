/** Small, strict helpers shared by the OX modules: bare JID normalisation and Base64 that rejects garbage. */
import { InvalidJidError } from './errors';

const MAX_PART = 1023;
// No whitespace, no control characters, none of the characters RFC 7622 forbids in a localpart.
const BAD_LOCAL = /[\s\p{Cc}"&'/:<>@]/u;
const BAD_DOMAIN = /[\s\p{Cc}"&'/:<>@\\]/u;

/**
 * The normalised bare JID of `address` (a full JID's resource is dropped): NFC, lower-cased local and domain parts,
 * no trailing dot on the domain. An approximation of RFC 7622 good enough to compare addresses for equality, as
 * XEP-0373 §6.4 asks. Throws InvalidJidError.
 */
export function normalizeBareJid(address: string): string {
  let s = address.normalize('NFC').trim();
  const slash = s.indexOf('/');
  if (slash !== -1) s = s.slice(0, slash);
  const at = s.lastIndexOf('@');
  const local = at === -1 ? '' : s.slice(0, at).toLowerCase();
  let domain = (at === -1 ? s : s.slice(at + 1)).toLowerCase();
  if (domain.endsWith('.')) domain = domain.slice(0, -1);
  if (at !== -1 && local === '') throw new InvalidJidError();
  if (domain === '' || domain.length > MAX_PART || local.length > MAX_PART) throw new InvalidJidError();
  if (BAD_LOCAL.test(local) || BAD_DOMAIN.test(domain) || domain.startsWith('.') || domain.includes('..')) {
    throw new InvalidJidError();
  }
  return local === '' ? domain : `${local}@${domain}`;
}

/** Like normalizeBareJid, but null instead of an error (for addresses read from untrusted content). */
export function tryNormalizeBareJid(address: string): string | null {
  try {
    return normalizeBareJid(address);
  } catch {
    return null;
  }
}

const B64 = /^[A-Za-z0-9+/]*$/;

/**
 * Strict Base64 (RFC 4648 §4): whitespace anywhere is skipped (XEP examples indent the text), padding is optional,
 * anything else that is not in the alphabet is an error (Node's own decoder silently drops it). Null on bad input.
 */
export function decodeBase64(text: string): Uint8Array | null {
  let s = text.replace(/[\t\n\r ]+/g, '');
  const pad = /=*$/.exec(s)?.[0].length ?? 0;
  if (pad > 2) return null;
  s = s.slice(0, s.length - pad);
  if (!B64.test(s) || s.length % 4 === 1) return null;
  if (pad > 0 && (s.length + pad) % 4 !== 0) return null;
  const bytes = Buffer.from(s, 'base64');
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** UTF-8 that must be valid: a decoder that throws instead of inserting U+FFFD. */
export const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
export const utf8 = new TextEncoder();
