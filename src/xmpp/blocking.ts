/**
 * XEP-0191 blocking: block, unblock, list, kept in step with the server's pushes (accepted only from our own
 * account). Blocked senders' messages and presences are also dropped here, by an inbound filter of the account,
 * even if the server let one through (e.g. one already queued when the block took effect, or a lax server).
 */
import { EventEmitter } from 'node:events';
import { xml, type Element, type IqCalleeContext, type JID } from '@xmpp/client';
import type { AccountState, XmppAccount } from './account';
import { XmppInputError } from './errors';
import { LIMITS, safeJid } from './validate';

export const NS_BLOCKING = 'urn:xmpp:blocking';
const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

export interface BlockingEvents {
  changed: [blocked: readonly string[]];
}

/** A JID to block: a bare JID or a domain (XEP-0191 also allows full JIDs; Cove blocks people and servers). */
function checkBlockJid(jid: string): string {
  const parsed = safeJid(jid);
  if (parsed === undefined || parsed.resource.length > 0) throw new XmppInputError('bad-jid', 'This is not a valid chat address or server name.');
  return parsed.toString();
}

/** The JIDs of the <item/>s of a block/unblock/blocklist element; undefined when one is invalid. */
export function parseBlockItems(el: Element): string[] | undefined {
  const items = el.getChildren('item');
  if (items.length > LIMITS.rosterItems) return undefined;
  const jids: string[] = [];
  for (const item of items) {
    const parsed = safeJid(item.attrs.jid);
    if (parsed === undefined) return undefined;
    jids.push(parsed.toString());
  }
  return jids;
}

export class BlockList extends EventEmitter<BlockingEvents> {
  private readonly blocked = new Set<string>();

  constructor(private readonly account: XmppAccount) {
    super();
    account.addInboundFilter((_stanza, from) => (this.isBlocked(from) ? 'blocked-sender' : undefined));
    account.on('state', (s: AccountState) => {
      if (s.state === 'online' && !s.resumed) {
        this.fetch().catch((err: unknown) => {
          account.log?.warn('could not load the block list after connecting', err);
        });
      }
    });
    account.client.iqCallee.set(NS_BLOCKING, 'block', (ctx) => this.onPush(ctx, true));
    account.client.iqCallee.set(NS_BLOCKING, 'unblock', (ctx) => this.onPush(ctx, false));
  }

  /** True when messages and presence from this address are dropped (its bare JID, full JID or domain is blocked). */
  isBlocked(from: JID): boolean {
    return this.blocked.has(from.bare().toString()) || this.blocked.has(from.toString()) || this.blocked.has(from.domain);
  }

  list(): string[] {
    return [...this.blocked];
  }

  async fetch(): Promise<string[]> {
    const list = await this.account.iq('get', xml('blocklist', { xmlns: NS_BLOCKING }), 'fetching the block list');
    const jids = list === undefined ? [] : parseBlockItems(list);
    if (jids === undefined) {
      this.account.reject({ module: 'blocking', stanza: 'iq', reason: 'bad-jid' });
      return this.list();
    }
    this.blocked.clear();
    for (const j of jids) this.blocked.add(j);
    this.emit('changed', this.list());
    return this.list();
  }

  async block(jid: string): Promise<void> {
    const target = checkBlockJid(jid);
    await this.account.iq('set', xml('block', { xmlns: NS_BLOCKING }, xml('item', { jid: target })), 'blocking');
    this.blocked.add(target);
    this.emit('changed', this.list());
  }

  async unblock(jid: string): Promise<void> {
    const target = checkBlockJid(jid);
    await this.account.iq('set', xml('unblock', { xmlns: NS_BLOCKING }, xml('item', { jid: target })), 'unblocking');
    this.blocked.delete(target);
    this.emit('changed', this.list());
  }

  private onPush(ctx: IqCalleeContext, block: boolean): Element | true {
    const from = ctx.stanza.attrs.from;
    if (from !== undefined && safeJid(from)?.toString() !== this.account.bareJid) {
      this.account.reject({ module: 'blocking', stanza: 'iq', reason: 'forged-push' });
      return xml('error', { type: 'cancel' }, xml('service-unavailable', { xmlns: NS_STANZAS }));
    }
    const jids = parseBlockItems(ctx.element);
    if (jids === undefined) {
      this.account.reject({ module: 'blocking', stanza: 'iq', reason: 'bad-jid' });
      return xml('error', { type: 'modify' }, xml('bad-request', { xmlns: NS_STANZAS }));
    }
    if (block) for (const j of jids) this.blocked.add(j);
    else if (jids.length === 0) this.blocked.clear(); // an empty unblock means "unblock everyone"
    else for (const j of jids) this.blocked.delete(j);
    this.emit('changed', this.list());
    return true;
  }
}
