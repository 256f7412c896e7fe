/**
 * Chats, contacts and keys: what the conversation list, the conversation view, the contact list and the
 * verification dialog show and do. Reads come from the profile store (they work while a gateway is away); actions
 * go through the account's session.
 */
import type { Handlers } from '../api/contract';
import type { ChatView, ContactView, MessageView } from '../api/schemas';
import { CoveError } from '../api/result';
import type { ChatSummary, StoredMessage } from '../store';
import type { ContactKey } from '../store/contact-keys';
import { buildInvite, parseInvite, type Invite } from '../xmpp/invite';
import { checkJid } from '../xmpp/roster';
import type { CoreContext } from './core';
import { avatarOf, nicknameOf } from './profiles';
import type { AccountSession } from './session';

type ChatOps = Pick<
  Handlers,
  | 'chats'
  | 'messages'
  | 'search'
  | 'send'
  | 'markRead'
  | 'setDraft'
  | 'openChat'
  | 'contacts'
  | 'contactAdd'
  | 'contactApprove'
  | 'contactDeny'
  | 'contactRemove'
  | 'contactBlock'
  | 'invite'
  | 'keys'
  | 'keyDecide'
>;

export const toView = (m: StoredMessage): MessageView => ({
  seq: m.seq,
  conversationId: m.conversationId,
  id: m.id,
  direction: m.direction,
  body: m.body,
  time: m.time,
  state: m.state,
  encrypted: m.encrypted,
});

const keyView = (k: ContactKey) => ({ fingerprint: k.fingerprint, trust: k.trust, firstSeen: k.firstSeen });

function keyState(keys: readonly ContactKey[]): ChatView['keys'] {
  if (keys.some((k) => k.trust === 'changed')) return 'changed';
  const usable = keys.filter((k) => k.trust === 'tofu' || k.trust === 'verified');
  if (usable.length === 0) return 'none';
  return usable.every((k) => k.trust === 'verified') ? 'verified' : 'unverified';
}

export function chatHandlers(ctx: CoreContext): ChatOps {
  const session = (accountId: number): AccountSession => {
    const s = ctx.sessions.get(accountId);
    if (s === undefined) throw new CoveError('account-unknown', 'There is no such account.');
    return s;
  };

  const conversation = (conversationId: number) => {
    const c = ctx.store().conversations.get(conversationId);
    if (c === undefined) throw new CoveError('chat-unknown', 'There is no such conversation.');
    return c;
  };

  /** What the profile holds of a contact for display: the name the user gave, else their nickname; their picture. */
  const looks = (accountId: number, jid: string): { name: string | null; nickname: string | null; avatar: string | null } => {
    const store = ctx.store();
    const contact = store.contacts.get(accountId, jid);
    const nickname = nicknameOf(contact?.vcard ?? null) ?? null;
    return { name: contact?.name ?? nickname, nickname, avatar: avatarOf(store, contact?.avatarHash ?? null) };
  };

  const chatView = (c: ChatSummary): ChatView => {
    const { name, avatar } = looks(c.accountId, c.peerJid);
    return {
      conversationId: c.conversationId,
      accountId: c.accountId,
      peer: c.peerJid,
      name,
      last: c.last === undefined ? null : toView(c.last),
      unread: c.unread,
      keys: keyState(ctx.store().contactKeys.list(c.accountId, c.peerJid)),
      draft: c.draft,
      avatar,
    };
  };

  /** One contact as the UI shows it (`blocked`: the account's block list, read once per call). */
  const contactView = (
    s: AccountSession,
    blocked: ReadonlySet<string>,
    item: { jid: string; name: string | null; subscription: ContactView['subscription']; asked: boolean; request: boolean },
  ): ContactView => {
    const { nickname, avatar } = looks(s.accountId, item.jid);
    return {
      ...item,
      online: s.roster.presenceOf(item.jid)?.available === true,
      blocked: blocked.has(item.jid),
      keys: ctx.store().contactKeys.list(s.accountId, item.jid).map(keyView),
      nickname,
      avatar,
    };
  };

  const keysView = (accountId: number, jid: string) => {
    const s = session(accountId);
    const peer = checkJid(jid);
    return { own: s.fingerprint, ownJid: s.jid, peer, keys: s.keys.trust.list(peer).map(keyView) };
  };

  return {
    chats: () => Promise.resolve(ctx.store().chats.list().map(chatView)),
    messages: ({ conversationId, before, limit }) => {
      const page = ctx.store().messages.page(conversation(conversationId).id, limit, before);
      return Promise.resolve({ messages: page.messages.map(toView), next: page.next ?? null });
    },
    search: ({ query, limit }) => Promise.resolve(ctx.store().messages.search(query, { limit }).map(toView)),
    send: async ({ accountId, jid, text }) => {
      const s = session(accountId);
      const peer = checkJid(jid);
      const stored = await s.send(peer, text);
      ctx.store().drafts.set(stored.conversationId, '');
      return toView(stored);
    },
    markRead: async ({ conversationId }) => {
      const c = conversation(conversationId);
      const newest = ctx.store().chats.markRead(c.id);
      // One XEP-0333 <displayed/> for the newest: it stands for every message before it.
      if (newest !== undefined) await ctx.sessions.get(c.accountId)?.messenger.markRead({ conversationId: c.id, id: newest });
      return {};
    },
    setDraft: ({ conversationId, text }) => {
      ctx.store().drafts.set(conversation(conversationId).id, text);
      return Promise.resolve({});
    },
    openChat: ({ accountId, jid }) => {
      session(accountId);
      const c = ctx.store().conversations.ensure(accountId, checkJid(jid));
      const summary = ctx.store().chats.get(c.id);
      if (summary === undefined) throw new CoveError('chat-unknown', 'There is no such conversation.');
      return Promise.resolve(chatView(summary));
    },
    contacts: ({ accountId }) => {
      const s = session(accountId);
      const store = ctx.store();
      const blocked = new Set(s.blocking.list());
      const requests = new Set(s.roster.pendingRequests());
      const roster = s.roster.list();
      const items = roster.length > 0 || s.account.online ? roster.map((i) => ({ jid: i.jid, name: i.name ?? null, subscription: i.subscription, ask: i.pendingOut })) : store.contacts.list(accountId);
      const seen = new Set(items.map((i) => i.jid));
      const view = (jid: string, name: string | null, subscription: ContactView['subscription'], asked: boolean): ContactView =>
        contactView(s, blocked, { jid, name, subscription, asked, request: requests.has(jid) });
      const list = items.map((i) => view(i.jid, i.name, i.subscription, i.ask));
      for (const jid of requests) if (!seen.has(jid)) list.push(view(jid, null, 'none', false));
      for (const jid of blocked) if (!seen.has(jid) && !requests.has(jid) && jid.includes('@')) list.push(view(jid, null, 'none', false));
      return Promise.resolve(list);
    },
    contactAdd: async ({ accountId, address }) => {
      const s = session(accountId);
      const text = address.trim();
      const invite: Invite = text.toLowerCase().startsWith('xmpp:') ? parseInvite(text) : { jid: checkJid(text) };
      if (invite.jid === s.jid) throw new CoveError('contact-self', 'That is your own address.');
      if (invite.fingerprint !== undefined) s.expectFingerprint(invite.jid, invite.fingerprint);
      await s.roster.add(invite.jid, invite.name);
      ctx.store().conversations.ensure(accountId, invite.jid);
      const item = s.roster.get(invite.jid);
      return contactView(s, new Set(s.blocking.list()), { jid: invite.jid, name: item?.name ?? null, subscription: item?.subscription ?? 'none', asked: item?.pendingOut ?? true, request: false });
    },
    contactApprove: async ({ accountId, jid }) => {
      await session(accountId).roster.approve(checkJid(jid));
      ctx.emit({ type: 'contacts', accountId });
      return {};
    },
    contactDeny: async ({ accountId, jid }) => {
      await session(accountId).roster.deny(checkJid(jid));
      ctx.emit({ type: 'contacts', accountId });
      return {};
    },
    contactRemove: async ({ accountId, jid }) => {
      await session(accountId).roster.remove(checkJid(jid));
      return {};
    },
    contactBlock: async ({ accountId, jid, blocked }) => {
      const s = session(accountId);
      if (blocked) await s.blocking.block(jid.trim());
      else await s.blocking.unblock(jid.trim());
      ctx.emit({ type: 'contacts', accountId });
      return {};
    },
    invite: ({ accountId }) => {
      const s = session(accountId);
      return Promise.resolve({ uri: buildInvite({ jid: s.jid, fingerprint: s.fingerprint }) });
    },
    keys: ({ accountId, jid }) => Promise.resolve(keysView(accountId, jid)),
    keyDecide: ({ accountId, jid, fingerprint, decision }) => {
      const trust = session(accountId).keys.trust;
      const peer = checkJid(jid);
      if (decision === 'verify') trust.verify(peer, fingerprint);
      else if (decision === 'accept') trust.accept(peer, fingerprint);
      else trust.reject(peer, fingerprint);
      ctx.emit({ type: 'contacts', accountId });
      return Promise.resolve(keysView(accountId, peer));
    },
  };
}
