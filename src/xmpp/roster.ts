/**
 * The roster (RFC 6121): fetch, add, remove, rename; presence subscriptions (incoming requests become an event the
 * UI shows; approve or deny); contacts' presence, taken only from contacts we are subscribed to. Our own presence is
 * only ever broadcast (`<presence/>` without 'to'): the server sends it to the contacts we approved, and Cove has
 * no directed presence, so a stranger never gets it. Roster pushes are accepted only from our own bare JID or
 * without 'from' (RFC 6121 §2.1.6): a push from anyone else is refused and reported as 'forged-roster-push'.
 */
import { EventEmitter } from 'node:events';
import { xml, type Element, type IqCalleeContext, type JID } from '@xmpp/client';
import type { AccountState, XmppAccount } from './account';
import { XmppInputError } from './errors';
import { LIMITS, personJid, safeJid, type RejectionReason } from './validate';

export const NS_ROSTER = 'jabber:iq:roster';
const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

export type Subscription = 'none' | 'to' | 'from' | 'both';

export interface RosterItem {
  readonly jid: string;
  readonly name?: string;
  readonly subscription: Subscription;
  /** We asked to see their presence and they have not answered yet. */
  readonly pendingOut: boolean;
  readonly groups: readonly string[];
}

export type Show = 'away' | 'chat' | 'dnd' | 'xa';

export interface ContactPresence {
  readonly jid: string;
  readonly available: boolean;
  readonly show?: Show;
  readonly status?: string;
}

export interface RosterEvents {
  /** The roster after a change (fetch or push). */
  changed: [items: readonly RosterItem[]];
  /** Someone asks to see our presence: show it, then approve() or deny(). */
  'subscription-request': [request: { readonly jid: string }];
  presence: [presence: ContactPresence];
}

const SHOWS: readonly Show[] = ['away', 'chat', 'dnd', 'xa'];
const SUBSCRIPTIONS: readonly (Subscription | 'remove')[] = ['none', 'to', 'from', 'both', 'remove'];

type ParsedItem = { item: RosterItem; remove: boolean } | { reason: RejectionReason };

/** Validates one <item/> of a roster result or push. */
export function parseRosterItem(el: Element): ParsedItem {
  const rawJid = el.attrs.jid;
  if (rawJid === undefined) return { reason: 'missing-attribute' };
  const parsed = safeJid(rawJid);
  if (parsed === undefined || parsed.resource.length > 0) return { reason: 'bad-jid' };
  const sub = SUBSCRIPTIONS.find((s) => s === (el.attrs.subscription ?? 'none'));
  if (sub === undefined) return { reason: 'bad-value' };
  const name = el.attrs.name;
  if (name !== undefined && name.length > LIMITS.nameLength) return { reason: 'oversized' };
  const groupEls = el.getChildren('group');
  if (groupEls.length > LIMITS.groupsPerItem) return { reason: 'oversized' };
  const groups = groupEls.map((g) => g.text());
  if (groups.some((g) => g.length > LIMITS.nameLength)) return { reason: 'oversized' };
  const item: RosterItem = {
    jid: parsed.toString(),
    ...(name === undefined || name.length === 0 ? {} : { name }),
    subscription: sub === 'remove' ? 'none' : sub,
    pendingOut: el.attrs.ask === 'subscribe',
    groups,
  };
  return { item, remove: sub === 'remove' };
}

function bareOf(from: JID): string {
  return from.bare().toString();
}

export class Roster extends EventEmitter<RosterEvents> {
  private readonly items = new Map<string, RosterItem>();
  private readonly presences = new Map<string, Map<string, ContactPresence>>();
  private readonly requests = new Set<string>();
  private loading: Promise<void> = Promise.resolve();

  constructor(private readonly account: XmppAccount) {
    super();
    account.on('state', (s: AccountState) => {
      if (s.state === 'online' && !s.resumed) this.loading = this.onNewSession();
    });
    account.on('presence', (p, from) => {
      this.onPresence(p, from);
    });
    account.client.iqCallee.set(NS_ROSTER, 'query', (ctx) => this.onPush(ctx));
  }

  /** Resolves when the roster of the current session is loaded and our presence is sent. */
  async loaded(): Promise<void> {
    await this.loading;
  }

  list(): RosterItem[] {
    return [...this.items.values()];
  }

  get(jid: string): RosterItem | undefined {
    return this.items.get(jid.toLowerCase());
  }

  /** The contact's presence (available if any resource is), or undefined when we have none. */
  presenceOf(jid: string): ContactPresence | undefined {
    const resources = this.presences.get(jid.toLowerCase());
    if (resources === undefined) return undefined;
    const online = [...resources.values()].find((p) => p.available);
    return online ?? { jid: jid.toLowerCase(), available: false };
  }

  /** Pending incoming subscription requests (bare JIDs). */
  pendingRequests(): string[] {
    return [...this.requests];
  }

  /** Fetches the whole roster from the server (replacing what we had). */
  async fetch(): Promise<RosterItem[]> {
    const query = await this.account.iq('get', xml('query', { xmlns: NS_ROSTER }), 'fetching the contact list');
    this.items.clear();
    for (const el of (query?.getChildren('item') ?? []).slice(0, LIMITS.rosterItems)) {
      const parsed = parseRosterItem(el);
      if ('reason' in parsed) this.account.reject({ module: 'roster', stanza: 'iq', reason: parsed.reason });
      else if (!parsed.remove) this.items.set(parsed.item.jid, parsed.item);
    }
    this.emit('changed', this.list());
    return this.list();
  }

  /** Adds a contact (by bare JID) and asks to see their presence. */
  async add(jid: string, name?: string): Promise<void> {
    const bare = checkJid(jid);
    await this.setItem(bare, name, this.get(bare)?.groups ?? []);
    await this.account.send(xml('presence', { to: bare, type: 'subscribe' }));
  }

  /** Removes a contact; the server also cancels the subscriptions both ways. */
  async remove(jid: string): Promise<void> {
    const bare = checkJid(jid);
    await this.account.iq('set', xml('query', { xmlns: NS_ROSTER }, xml('item', { jid: bare, subscription: 'remove' })), 'removing a contact');
  }

  async rename(jid: string, name: string): Promise<void> {
    const bare = checkJid(jid);
    const item = this.get(bare);
    if (item === undefined) throw new XmppInputError('not-a-contact', 'This address is not in the contact list.');
    await this.setItem(bare, name, item.groups);
  }

  /** Lets `jid` see our presence; by default also asks to see theirs, if we do not yet. */
  async approve(jid: string, alsoSubscribe = true): Promise<void> {
    const bare = checkJid(jid);
    this.requests.delete(bare);
    await this.account.send(xml('presence', { to: bare, type: 'subscribed' }));
    const item = this.get(bare);
    if (alsoSubscribe && item?.subscription !== 'to' && item?.subscription !== 'both' && item?.pendingOut !== true) {
      await this.account.send(xml('presence', { to: bare, type: 'subscribe' }));
    }
  }

  async deny(jid: string): Promise<void> {
    const bare = checkJid(jid);
    this.requests.delete(bare);
    await this.account.send(xml('presence', { to: bare, type: 'unsubscribed' }));
  }

  private async setItem(jid: string, name: string | undefined, groups: readonly string[]): Promise<void> {
    if (name !== undefined && name.length > LIMITS.nameLength) throw new XmppInputError('name-too-long', 'This name is too long.');
    const item = xml('item', { jid, ...(name === undefined ? {} : { name }) }, ...groups.map((g) => xml('group', {}, g)));
    await this.account.iq('set', xml('query', { xmlns: NS_ROSTER }, item), 'saving a contact');
  }

  /** A new session: the roster first, then our (broadcast) presence, as RFC 6121 suggests. */
  private async onNewSession(): Promise<void> {
    this.presences.clear();
    try {
      await this.fetch();
      await this.account.send(xml('presence'));
    } catch (err) {
      this.account.log?.warn('could not load the contact list after connecting', err);
    }
  }

  private onPush(ctx: IqCalleeContext): Element | true {
    const from = ctx.stanza.attrs.from;
    if (from !== undefined && safeJid(from)?.toString() !== this.account.bareJid) {
      this.account.reject({ module: 'roster', stanza: 'iq', reason: 'forged-roster-push' });
      return xml('error', { type: 'cancel' }, xml('service-unavailable', { xmlns: NS_STANZAS }));
    }
    const itemEls = ctx.element.getChildren('item');
    const first = itemEls[0];
    if (itemEls.length !== 1 || first === undefined) {
      this.account.reject({ module: 'roster', stanza: 'iq', reason: 'bad-value' });
      return xml('error', { type: 'modify' }, xml('bad-request', { xmlns: NS_STANZAS }));
    }
    const parsed = parseRosterItem(first);
    if ('reason' in parsed) {
      this.account.reject({ module: 'roster', stanza: 'iq', reason: parsed.reason });
      return xml('error', { type: 'modify' }, xml('bad-request', { xmlns: NS_STANZAS }));
    }
    if (parsed.remove) {
      this.items.delete(parsed.item.jid);
      this.presences.delete(parsed.item.jid);
    } else {
      this.items.set(parsed.item.jid, parsed.item);
    }
    this.emit('changed', this.list());
    return true;
  }

  private onPresence(p: Element, from: JID): void {
    const bare = bareOf(from);
    if (bare === this.account.bareJid) return; // our other devices
    const type = p.attrs.type;
    if (type === 'subscribe') {
      if (personJid(bare) === undefined) {
        this.account.reject({ module: 'roster', stanza: 'presence', reason: 'bad-jid' });
        return;
      }
      if (this.requests.has(bare)) return;
      this.requests.add(bare);
      this.emit('subscription-request', { jid: bare });
      return;
    }
    if (type !== undefined && type !== 'unavailable') return; // subscribed/unsubscribe/…: the roster push tells
    const item = this.items.get(bare);
    if (item === undefined || (item.subscription !== 'to' && item.subscription !== 'both')) {
      this.account.reject({ module: 'roster', stanza: 'presence', reason: 'presence-from-stranger' });
      return;
    }
    const status = p.getChildText('status') ?? undefined;
    if (status !== undefined && status.length > LIMITS.statusLength) {
      this.account.reject({ module: 'roster', stanza: 'presence', reason: 'oversized' });
      return;
    }
    const showText = p.getChildText('show') ?? undefined;
    const show = SHOWS.find((s) => s === showText);
    const presence: ContactPresence = {
      jid: bare,
      available: type === undefined,
      ...(show === undefined ? {} : { show }),
      ...(status === undefined ? {} : { status }),
    };
    let resources = this.presences.get(bare);
    if (resources === undefined) {
      resources = new Map();
      this.presences.set(bare, resources);
    }
    if (presence.available) resources.set(from.resource, presence);
    else resources.delete(from.resource);
    const summary = this.presenceOf(bare);
    if (summary !== undefined) this.emit('presence', summary);
  }
}

/** A contact's address from the caller: a bare JID with a local part, lower-cased. */
export function checkJid(jid: string): string {
  const bare = personJid(jid);
  if (bare === undefined) throw new XmppInputError('bad-jid', 'This is not a valid chat address (name@server).');
  return bare;
}
