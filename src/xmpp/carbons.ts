/**
 * Message carbons (XEP-0280): every device of the account sees the whole conversation. On each new session (not on
 * a XEP-0198 resumption: carbons belong to the session) Cove sends `<enable xmlns='urn:xmpp:carbons:2'/>`; the server
 * then copies to this device the messages our other devices send (`<sent/>`) and the ones addressed to another of
 * our resources (`<received/>`), each wrapped in a XEP-0297 `<forwarded/>`.
 *
 * A carbon is a claim "this is what your account sent/received", so it is only believed when it comes from our own
 * account: the outer message's `from` must be OUR bare JID (XEP-0280 §11: anyone can send a message that wraps a
 * carbon; a client that does not check lets a contact put words in the user's mouth). Then the wrapper must hold
 * exactly one `<forwarded/>` with exactly one `<message/>`, and that message must be ours: for `<sent/>` its `from`
 * is one of our full JIDs, for `<received/>` its `to` is our JID. Anything else is dropped and reported as a typed
 * `rejected` event (reason, never a JID or text), and a listener never throws.
 *
 * What comes out is an `IncomingRecord` (`via: 'carbon'`): the inner message, its direction, and the peer's bare JID.
 * The message pipeline decrypts and stores it like any other (its origin-id deduplicates it against MAM/live copies).
 */
import { EventEmitter } from 'node:events';
import { xml, type Element, type JID } from '@xmpp/client';
import type { AccountState, XmppAccount } from './account';
import { personJid, safeJid } from './validate';

export const NS_CARBONS = 'urn:xmpp:carbons:2';
export const NS_FORWARD = 'urn:xmpp:forward:0';
export const NS_DELAY = 'urn:xmpp:delay';
const NS_CLIENT = 'jabber:client';

/** Why a carbon or an archive result was dropped. */
export type RecordRejectionReason =
  /** A carbon whose outer `from` is not our bare JID: someone else tried to speak for our account. */
  | 'forged-carbon'
  /** A carbon not shaped as XEP-0280/0297 say (no or several <forwarded/>/<message/>, both sent and received, nested). */
  | 'bad-carbon'
  /** A well-formed carbon whose inner message is not ours (sent: not from our full JID; received: not to us). */
  | 'carbon-not-ours'
  /** An archive result whose outer `from` is neither absent nor our bare JID. */
  | 'forged-archive-result'
  /** An archive result for a query we did not make (or no longer wait for). */
  | 'unknown-query'
  /** An archive result not shaped as XEP-0313 says (no id, no delay stamp, no or several messages, not our chat). */
  | 'bad-archive-result'
  /** More results than we asked for in one page. */
  | 'too-many-results'
  /** The parser itself failed (a bug): reported rather than thrown. */
  | 'handler-failed';

export interface RecordRejection {
  readonly module: 'carbons' | 'mam';
  readonly stanza: 'message';
  readonly reason: RecordRejectionReason;
}

/** A message of one of our conversations, from another source than a live delivery. */
export interface IncomingRecord {
  /** 'in': a contact sent it to us; 'out': one of our devices sent it. */
  readonly direction: 'in' | 'out';
  /** The inner (forwarded) message, as the sender wrote it. */
  readonly message: Element;
  /** Bare JID of the contact the conversation is with. */
  readonly peer: string;
  readonly via: 'carbon';
}

export type CarbonParse =
  | { readonly kind: 'not-carbon' }
  | { readonly kind: 'carbon'; readonly record: IncomingRecord }
  | { readonly kind: 'rejected'; readonly reason: RecordRejectionReason };

/** True when a <message/> carries a XEP-0280 <sent/> or <received/> (well-formed or not). */
export function isCarbon(message: Element): boolean {
  return message.getChild('sent', NS_CARBONS) !== undefined || message.getChild('received', NS_CARBONS) !== undefined;
}

/** The single <message/> of a XEP-0297 <forwarded/> parent; undefined when there is not exactly one of each. */
export function forwardedMessage(parent: Element): { forwarded: Element; message: Element } | undefined {
  const forwards = parent.getChildren('forwarded', NS_FORWARD);
  const forwarded = forwards[0];
  if (forwards.length !== 1 || forwarded === undefined) return undefined;
  const messages = forwarded.getChildElements().filter((c) => c.name === 'message');
  const message = messages[0];
  if (messages.length !== 1 || message === undefined) return undefined;
  // XEP-0297 wants xmlns='jabber:client' on it; without its own xmlns it is taken as one too. Anything else is not.
  const ns = message.attrs.xmlns;
  if (ns !== undefined && ns !== NS_CLIENT) return undefined;
  // A forwarded message that itself wraps a carbon or a forward is never what a server sends: refuse the nesting.
  if (isCarbon(message) || message.getChildElements().some((c) => c.name === 'forwarded' || c.name === 'result')) return undefined;
  return { forwarded, message };
}

const reject = (reason: RecordRejectionReason): CarbonParse => ({ kind: 'rejected', reason });

/**
 * Reads a carbon addressed to the account `ourBareJid`. Never throws. `not-carbon`: the message is no carbon at all
 * (the caller handles it as a normal message).
 */
export function parseCarbon(outer: Element, ourBareJid: string): CarbonParse {
  if (!outer.is('message')) return { kind: 'not-carbon' };
  const wrappers = outer.getChildElements().filter((c) => (c.name === 'sent' || c.name === 'received') && c.getNS() === NS_CARBONS);
  const wrapper = wrappers[0];
  if (wrapper === undefined) return { kind: 'not-carbon' };
  const from = safeJid(outer.attrs.from);
  if (from === undefined || from.resource.length > 0 || from.toString() !== ourBareJid) return reject('forged-carbon');
  if (wrappers.length !== 1) return reject('bad-carbon');
  const inner = forwardedMessage(wrapper);
  if (inner === undefined) return reject('bad-carbon');
  const { message } = inner;
  const innerFrom = safeJid(message.attrs.from);
  const innerTo = safeJid(message.attrs.to);
  if (innerFrom === undefined || innerTo === undefined) return reject('bad-carbon');
  if (wrapper.name === 'sent') {
    if (bare(innerFrom) !== ourBareJid || innerFrom.resource.length === 0) return reject('carbon-not-ours');
    const peer = personJid(bare(innerTo));
    if (peer === undefined || peer === ourBareJid) return reject('carbon-not-ours');
    return { kind: 'carbon', record: { direction: 'out', message, peer, via: 'carbon' } };
  }
  if (bare(innerTo) !== ourBareJid) return reject('carbon-not-ours');
  const peer = personJid(bare(innerFrom));
  if (peer === undefined || peer === ourBareJid) return reject('carbon-not-ours');
  return { kind: 'carbon', record: { direction: 'in', message, peer, via: 'carbon' } };
}

function bare(j: JID): string {
  return j.bare().toString();
}

export interface CarbonsEvents {
  /** A carbon that passed every check. */
  carbon: [record: IncomingRecord];
  /** A carbon that did not, and why. */
  rejected: [rejection: RecordRejection];
  /** Carbons were enabled (true) or the server refused them (false) for the current session. */
  enabled: [ok: boolean];
}

/**
 * The carbons of one account: enables them on each new session and turns carbons into `carbon` events. Messages
 * that carry a carbon element are never the pipeline's business as normal messages: check `isCarbon()` there.
 */
export class Carbons extends EventEmitter<CarbonsEvents> {
  private enabling: Promise<boolean> = Promise.resolve(false);

  constructor(private readonly account: XmppAccount) {
    super();
    account.on('state', (s: AccountState) => {
      if (s.state === 'online' && !s.resumed) this.enabling = this.enable();
    });
    account.on('message', (message: Element) => {
      this.handle(message);
    });
  }

  /** Resolves with whether carbons are on for the current session (after the enable request answered). */
  async ready(): Promise<boolean> {
    return this.enabling;
  }

  /** Asks the server to carbon-copy this session. Never throws: false (and an `enabled` event) when refused. */
  async enable(): Promise<boolean> {
    let ok = false;
    try {
      await this.account.iq('set', xml('enable', { xmlns: NS_CARBONS }), 'enabling message carbons');
      ok = true;
    } catch (err) {
      this.account.log?.warn('the server did not enable message carbons', err instanceof Error ? err : undefined);
    }
    this.emit('enabled', ok);
    return ok;
  }

  /** Checks one incoming message (the account calls this for every message; public for tests and fuzzing). */
  handle(message: Element): void {
    let parsed: CarbonParse;
    try {
      parsed = parseCarbon(message, this.account.bareJid);
    } catch {
      parsed = reject('handler-failed');
    }
    if (parsed.kind === 'not-carbon') return;
    if (parsed.kind === 'rejected') {
      this.account.log?.debug(`dropped a carbon (${parsed.reason})`);
      this.emit('rejected', { module: 'carbons', stanza: 'message', reason: parsed.reason });
      return;
    }
    this.emit('carbon', parsed.record);
  }
}
