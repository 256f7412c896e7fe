/**
 * Invite links: `xmpp:alice@a.test?roster;name=Alice;ox=<40 hex>`, an XMPP URI (RFC 5122) with the XEP-0147
 * `roster` action and its `name` parameter, plus `ox=`, a parameter of Cove's own: the OpenPGP (XEP-0373) v4
 * fingerprint of the inviter's key, so that the first key of a new contact is verified from the start instead of
 * trusted on first use. Other clients ignore `ox=` (unknown parameters are to be ignored).
 *
 * Parsing is strict: a malformed URI, JID, fingerprint or name is a typed InviteError, never a guess. What is only
 * unknown is ignored: an action other than `roster` (the link is then read as a plain address, its parameters
 * unused) and parameters other than `name` and `ox`.
 */
import { XmppInputError } from './errors';
import { LIMITS, personJid } from './validate';

export type InviteFailure = 'bad-uri' | 'bad-jid' | 'bad-fingerprint' | 'bad-name';

const MESSAGES: Record<InviteFailure, string> = {
  'bad-uri': 'This is not a valid invite link.',
  'bad-jid': 'The invite link does not contain a valid chat address.',
  'bad-fingerprint': 'The key fingerprint in the invite link is not valid: ask for a new link.',
  'bad-name': 'The name in the invite link is not valid.',
};

export class InviteError extends XmppInputError {
  override name = 'InviteError';
  constructor(readonly reason: InviteFailure) {
    super(`invite-${reason}`, MESSAGES[reason]);
  }
}

export interface Invite {
  /** The contact's bare JID, lower-cased. */
  readonly jid: string;
  /** The name the inviter suggests for themselves. */
  readonly name?: string;
  /** The OpenPGP v4 fingerprint (40 hex digits, upper case) to expect for this contact's key. */
  readonly fingerprint?: string;
}

const MAX_URI = 4096;
const FINGERPRINT = /^[0-9A-Fa-f]{40}$/;
// eslint-disable-next-line no-control-regex -- the point is to find control characters
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const ACTION = /^[A-Za-z][A-Za-z0-9_.-]*$/;
const KEY = /^[A-Za-z][A-Za-z0-9_.-]*$/;

function decode(text: string, reason: InviteFailure): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new InviteError(reason);
  }
}

/** Parses an invite link (see the top of this file); throws InviteError. */
export function parseInvite(uri: string): Invite {
  const text = uri.trim();
  if (text.length === 0 || text.length > MAX_URI || !/^xmpp:/i.test(text)) throw new InviteError('bad-uri');
  const rest = text.slice(5);
  // No authority form (xmpp://account@host/…): an invite names the contact only. No fragment either.
  if (rest.startsWith('//') || rest.includes('#') || /\s/.test(rest)) throw new InviteError('bad-uri');
  const q = rest.indexOf('?');
  const path = q < 0 ? rest : rest.slice(0, q);
  const query = q < 0 ? undefined : rest.slice(q + 1);
  const jid = personJid(decode(path, 'bad-jid'));
  if (jid === undefined) throw new InviteError('bad-jid');
  if (query === undefined) return { jid };

  const [action, ...params] = query.split(';');
  if (action === undefined || !ACTION.test(action)) throw new InviteError('bad-uri');
  const values = new Map<string, string>();
  for (const param of params) {
    const eq = param.indexOf('=');
    if (eq <= 0) throw new InviteError('bad-uri');
    const key = param.slice(0, eq).toLowerCase();
    if (!KEY.test(key) || values.has(key)) throw new InviteError('bad-uri');
    values.set(key, param.slice(eq + 1));
  }
  if (action.toLowerCase() !== 'roster') return { jid };

  const invite: { jid: string; name?: string; fingerprint?: string } = { jid };
  const rawName = values.get('name');
  if (rawName !== undefined) {
    const name = decode(rawName, 'bad-name').trim();
    if (name.length === 0 || name.length > LIMITS.nameLength || CONTROL.test(name)) throw new InviteError('bad-name');
    invite.name = name;
  }
  const rawOx = values.get('ox');
  if (rawOx !== undefined) {
    if (!FINGERPRINT.test(rawOx)) throw new InviteError('bad-fingerprint');
    invite.fingerprint = rawOx.toUpperCase();
  }
  return invite;
}

/** Builds an invite link; throws InviteError for a bad JID, name or fingerprint (the same rules as parseInvite). */
export function buildInvite(invite: Invite): string {
  const jid = personJid(invite.jid);
  if (jid === undefined) throw new InviteError('bad-jid');
  const at = jid.lastIndexOf('@');
  const path = `${encodeURIComponent(jid.slice(0, at))}@${encodeURIComponent(jid.slice(at + 1))}`;
  const params = ['roster'];
  if (invite.name !== undefined) {
    const name = invite.name.trim();
    if (name.length === 0 || name.length > LIMITS.nameLength || CONTROL.test(name)) throw new InviteError('bad-name');
    params.push(`name=${encodeURIComponent(name)}`);
  }
  if (invite.fingerprint !== undefined) {
    const fp = invite.fingerprint.replace(/\s+/g, '');
    if (!FINGERPRINT.test(fp)) throw new InviteError('bad-fingerprint');
    params.push(`ox=${fp.toUpperCase()}`);
  }
  return `xmpp:${path}?${params.join(';')}`;
}
