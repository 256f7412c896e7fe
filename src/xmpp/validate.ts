/**
 * Validation of what arrives from the network. A handler that reads a stanza checks every attribute and text it
 * uses; a stanza that fails is dropped and reported as a `Rejection` (a typed reason, no JID or text from it), and
 * a listener never throws.
 */
import { jid as parseJid, type JID } from '@xmpp/jid';
import type { Element } from '@xmpp/client';

export type RejectionReason =
  | 'missing-attribute'
  | 'bad-jid'
  | 'bad-value'
  | 'oversized'
  | 'forged-roster-push'
  | 'forged-push'
  | 'presence-from-stranger'
  | 'blocked-sender'
  | 'bad-avatar'
  | 'handler-failed';

export interface Rejection {
  /** Which part of the account layer dropped it: 'roster', 'blocking', 'vcard', 'account'. */
  readonly module: string;
  /** The stanza kind, e.g. 'iq', 'presence', 'message'. */
  readonly stanza: string;
  readonly reason: RejectionReason;
}

/** Limits on what Cove keeps from the network. */
export const LIMITS = {
  /** A JID (RFC 7622 allows 3 x 1023 octets plus separators). */
  jidLength: 3071,
  /** A contact's name in the roster, a nickname. */
  nameLength: 256,
  /** Roster items in one answer or push. */
  rosterItems: 10_000,
  /** Roster groups per item. */
  groupsPerItem: 32,
  /** A status text. */
  statusLength: 2048,
} as const;

// RFC 7622: a local part may not contain " & ' / : < > @ or spaces/controls; a domain is DNS labels or an IP literal.
// eslint-disable-next-line no-control-regex -- control characters are what is refused
const LOCAL = /^[^\s"&'/:<>@\u0000-\u001f\u007f]{1,1023}$/u;
const LABEL = '[\\p{L}\\p{N}](?:[\\p{L}\\p{N}-]{0,61}[\\p{L}\\p{N}])?';
const DOMAIN = new RegExp(`^(?:${LABEL})(?:\\.${LABEL})*\\.?$`, 'u');
const IPV6_LITERAL = /^\[[0-9A-Fa-f:.]+\]$/;
// eslint-disable-next-line no-control-regex -- control characters are what is refused
const RESOURCE = /^[^\u0000-\u001f\u007f]{1,1023}$/u;

/** True when `text` has the shape of a JID (RFC 7622), stricter than @xmpp/jid, which accepts "@b" and "a@@b". */
export function isJidSyntax(text: string): boolean {
  const slash = text.indexOf('/');
  const bare = slash < 0 ? text : text.slice(0, slash);
  if (slash >= 0 && !RESOURCE.test(text.slice(slash + 1))) return false;
  const at = bare.indexOf('@');
  const domain = at < 0 ? bare : bare.slice(at + 1);
  if (at >= 0 && !LOCAL.test(bare.slice(0, at))) return false;
  if (domain.length === 0 || domain.length > 1023) return false;
  return DOMAIN.test(domain) || IPV6_LITERAL.test(domain);
}

/** Parses a JID; undefined when it is not one (or is too long). Never throws. */
export function safeJid(text: string | undefined): JID | undefined {
  if (text === undefined || text.length === 0 || text.length > LIMITS.jidLength || !isJidSyntax(text)) return undefined;
  try {
    const parsed = parseJid(text);
    if (parsed.domain.length === 0) return undefined;
    return parsed;
  } catch {
    return undefined;
  }
}

/** A bare JID with a local part (a person's address), as a string; undefined otherwise. */
export function personJid(text: string | undefined): string | undefined {
  const parsed = safeJid(text);
  if (parsed === undefined || parsed.local.length === 0 || parsed.resource.length > 0) return undefined;
  return parsed.toString();
}

/** Runs a stanza handler so that nothing escapes it: a throw becomes a 'handler-failed' rejection. */
export function guarded(module: string, onRejected: (r: Rejection) => void, handler: (stanza: Element) => void): (stanza: Element) => void {
  return (stanza) => {
    try {
      handler(stanza);
    } catch {
      onRejected({ module, stanza: stanza.name, reason: 'handler-failed' });
    }
  };
}
