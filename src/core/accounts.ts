/**
 * Accounts: the gateway list, sign-up (XEP-0077 with the server's form or CAPTCHA), log-in, and each account's
 * session. A new account gets its OX key at once, published on PEP, and a secret-key backup (XEP-0373 §5) whose code
 * the user writes down; logging in on another device with that code restores the same key. Accounts and their
 * keys live in the encrypted profile; the sessions start again when it opens.
 */
import { randomBytes } from 'node:crypto';
import type { Handlers } from '../api/contract';
import type { AccountView, Endpoint, Gateways } from '../api/schemas';
import { CoveError } from '../api/result';
import { makeBackupCode } from '../crypto/backup';
import { contactsSharingGateway } from '../directory/spread';
import { exportSecretKey, generateAccountKey, importSecretKey, type OxSecretKey } from '../crypto/keys';
import { XmppAccount } from '../xmpp/account';
import { XmppAccountError } from '../xmpp/errors';
import { OxKeys } from '../xmpp/ox-keys';
import type { RegistrationOutcome } from '../xmpp/register';
import type { FormValues } from '../xmpp/dataform';
import type { CoreContext } from './core';
import type { Health } from './gateways';
import { AccountSession } from './session';

type AccountOps = Pick<
  Handlers,
  | 'gateways'
  | 'gatewaysRefresh'
  | 'registrationForm'
  | 'accountCreate'
  | 'accountLogin'
  | 'accounts'
  | 'accountRemove'
  | 'accountEndpoints'
  | 'newBackupCode'
  | 'setNickname'
  | 'setAvatar'
>;

export class AccountInputError extends CoveError {
  override name = 'AccountInputError';
}

const ONLINE_TIMEOUT_MS = 60_000;

/** The secret key as stored: locked with a random lock kept beside it (the profile's own encryption protects both). */
export async function sealKey(key: OxSecretKey): Promise<string> {
  const lock = randomBytes(32).toString('base64url');
  return JSON.stringify({ lock, armored: await exportSecretKey(key, lock) });
}

async function openKey(sealed: string, jid: string): Promise<OxSecretKey> {
  const { lock, armored } = JSON.parse(sealed) as { lock: string; armored: string };
  return importSecretKey(armored, lock, jid);
}

function splitJid(jid: string): { username: string; domain: string } {
  const at = jid.indexOf('@');
  if (at < 1 || at === jid.length - 1 || jid.includes('/')) throw new AccountInputError('account-bad-jid', 'An address looks like name@server.example.');
  return { username: jid.slice(0, at), domain: jid.slice(at + 1).toLowerCase() };
}

export function accountHandlers(ctx: CoreContext): { handlers: AccountOps; resume: () => Promise<void> } {
  const pending = new Map<string, Extract<RegistrationOutcome, { status: 'needs-input' }>>();
  const timeouts = ctx.options.xmpp ?? {};

  const health = (): Map<string, Health> => {
    const map = new Map<string, Health>();
    for (const s of ctx.sessions.values()) {
      const domain = splitJid(s.jid).domain;
      const st = s.account.state.state;
      if (st === 'online') map.set(domain, 'up');
      else if (st === 'error' && map.get(domain) !== 'up') map.set(domain, 'down');
    }
    return map;
  };

  const settings = (domain: string, endpoints: readonly Endpoint[]) => {
    const first = endpoints[0];
    if (first === undefined) throw new AccountInputError('account-no-endpoint', 'Give the gateway’s address.');
    return {
      domain,
      server: { host: first.host, port: first.port },
      transport: ctx.modes,
      accountKey: `signup-${randomBytes(4).toString('hex')}`,
      ...(ctx.options.ca === undefined ? {} : { ca: ctx.options.ca }),
      ...(timeouts.timeoutMs === undefined ? {} : { timeoutMs: timeouts.timeoutMs }),
    };
  };

  const view = (session: AccountSession): AccountView => {
    const store = ctx.store();
    const conn = store.connections.get(session.accountId);
    const contacts = store.contacts.list(session.accountId);
    const share = contactsSharingGateway(session.jid, contacts.map((c) => c.jid));
    const s = session.account.state;
    const state = s.state === 'error' ? 'error' : s.state;
    return {
      id: session.accountId,
      jid: session.jid,
      label: `Account ${String(session.accountId)}`,
      state,
      // Offline for a known reason (the proxy stopped, tor is down…): the UI's banner says why.
      ...(s.state === 'error' ? { error: s.error.toApiError() } : s.state === 'offline' && s.reason !== undefined ? { error: new XmppAccountError(s.reason).toApiError() } : {}),
      fingerprint: session.fingerprint,
      endpoints: [...(conn?.endpoints ?? [])],
      contacts: share.total,
      contactsOnGateway: share.sharing,
      gatewayRevoked: ctx.options.gateways.revoked().has(share.domain),
    };
  };

  const startSession = (accountId: number, jid: string, password: string, endpoints: readonly Endpoint[], key: OxSecretKey): AccountSession => {
    const session = new AccountSession({
      store: ctx.store(),
      accountId,
      jid,
      password,
      endpoints,
      transport: () => ctx.modes,
      secretKey: key,
      ...(ctx.options.ca === undefined ? {} : { ca: ctx.options.ca }),
      ...(timeouts.timeoutMs === undefined ? {} : { timeoutMs: timeouts.timeoutMs }),
      ...(timeouts.backoff === undefined ? {} : { backoff: timeouts.backoff }),
      logger: ctx.log.child(`account-${String(accountId)}`),
    });
    ctx.sessions.set(accountId, session);
    session.on('state', () => {
      ctx.emit({ type: 'account', account: view(session) });
    });
    session.on('message', (message, peer) => {
      ctx.emit({ type: 'message', accountId, peer, message });
    });
    session.on('messageState', (ref, state) => {
      ctx.emit({ type: 'messageState', conversationId: ref.conversationId, id: ref.id, state });
    });
    session.on('contacts', () => {
      ctx.emit({ type: 'contacts', accountId });
    });
    session.on('keyWarning', (w) => {
      ctx.emit({ type: 'keyWarning', accountId, peer: w.peer, fingerprint: w.fingerprint, kind: w.kind });
    });
    session.on('rejected', (r) => {
      ctx.emit({ type: 'rejected', accountId, peer: r.peer, error: r.error.toApiError() });
    });
    return session;
  };

  const addAccount = async (jid: string, password: string, endpoints: readonly Endpoint[], key: OxSecretKey): Promise<AccountSession> => {
    const store = ctx.store();
    if ([...ctx.sessions.values()].some((x) => x.jid === jid)) throw new AccountInputError('account-exists', 'This account is in Cove already.');
    const account = store.accounts.ensure(jid);
    store.connections.set(account.id, { endpoints, password, secretKey: await sealKey(key) });
    const session = startSession(account.id, jid, password, endpoints, key);
    try {
      await session.start();
      await session.account.waitOnline(ONLINE_TIMEOUT_MS);
      await session.keyReady();
    } catch (err) {
      ctx.sessions.delete(account.id);
      await session.stop();
      store.accounts.remove(account.id);
      throw err;
    }
    ctx.emit({ type: 'accounts' });
    return session;
  };

  /** Restores the key from the backup on PEP with a short-lived connection of its own. */
  const restoreKey = async (jid: string, password: string, endpoints: readonly Endpoint[], code: string): Promise<OxSecretKey> => {
    const { username, domain } = splitJid(jid);
    const account = new XmppAccount({ ...settings(domain, endpoints), username, password });
    try {
      await account.start();
      const keys = new OxKeys({ account, store: ctx.store().contactKeys, accountId: ctx.store().accounts.ensure(jid).id });
      return await keys.restoreBackup(code);
    } finally {
      await account.stop();
    }
  };

  const requireSession = (accountId: number): AccountSession => {
    const session = ctx.sessions.get(accountId);
    if (session === undefined) throw new AccountInputError('account-unknown', 'There is no such account.');
    return session;
  };

  const handlers: AccountOps = {
    gateways: (): Promise<Gateways> => ctx.options.gateways.list(health()),
    gatewaysRefresh: () => ctx.options.gateways.refresh(ctx.modes, health()),
    registrationForm: async ({ domain, endpoints }) => {
      await pending.get(domain)?.cancel();
      pending.delete(domain);
      const outcome = await XmppAccount.register(settings(domain, endpoints));
      if (outcome.status !== 'needs-input') throw new CoveError('registration-unexpected', 'The gateway registered an account without asking anything.');
      pending.set(domain, outcome);
      const { form } = outcome;
      const fields = form.fields
        .filter((f) => f.var !== 'username' && f.var !== 'password')
        .map((f) => ({
          var: f.var,
          type: f.type,
          ...(f.label === undefined ? {} : { label: f.label }),
          required: f.required,
          value: [...f.values],
          options: f.options.map((o) => ({ value: o.value, ...(o.label === undefined ? {} : { label: o.label }) })),
          media: f.media.filter((m) => m.data !== undefined).map((m) => ({ type: m.type, dataUrl: `data:${m.type};base64,${Buffer.from(m.data ?? new Uint8Array()).toString('base64')}` })),
        }));
      return { ...(form.instructions === undefined ? {} : { instructions: form.instructions }), fields, captcha: form.captcha };
    },
    accountCreate: async ({ domain, endpoints, username, password, answers }) => {
      const jid = `${username}@${domain}`.toLowerCase();
      const values: FormValues = { ...(answers ?? {}), username, password };
      const waiting = pending.get(domain);
      pending.delete(domain);
      let outcome = waiting === undefined ? await XmppAccount.register({ ...settings(domain, endpoints), username, password }) : await waiting.submit(values);
      if (outcome.status === 'needs-input') outcome = await outcome.submit(values);
      if (outcome.status === 'needs-input') {
        await outcome.cancel();
        throw new CoveError('registration-incomplete', 'The gateway still asks for more: check the answers (the CAPTCHA?) and try again.');
      }
      const key = await generateAccountKey(jid);
      const session = await addAccount(jid, password, endpoints, key);
      const backupCode = makeBackupCode();
      await session.keys.publishBackup(key, backupCode);
      return { account: view(session), backupCode };
    },
    accountLogin: async ({ jid: given, password, endpoints, backupCode }) => {
      const { username, domain } = splitJid(given.trim());
      const jid = `${username}@${domain}`.toLowerCase();
      const key = backupCode === undefined || backupCode.trim() === '' ? await generateAccountKey(jid) : await restoreKey(jid, password, endpoints, backupCode);
      const session = await addAccount(jid, password, endpoints, key);
      let code: string | null = null;
      if (backupCode === undefined || backupCode.trim() === '') {
        // A new key for this device: back it up so another device can join.
        code = makeBackupCode();
        await session.keys.publishBackup(key, code);
      }
      return { account: view(session), backupCode: code };
    },
    accounts: () => Promise.resolve([...ctx.sessions.values()].sort((a, b) => a.accountId - b.accountId).map(view)),
    accountRemove: async ({ accountId }) => {
      const session = ctx.sessions.get(accountId);
      ctx.sessions.delete(accountId);
      await session?.stop();
      ctx.store().accounts.remove(accountId);
      ctx.emit({ type: 'accounts' });
      return {};
    },
    accountEndpoints: async ({ accountId, endpoints }) => {
      const session = requireSession(accountId);
      const store = ctx.store();
      store.connections.setEndpoints(accountId, endpoints);
      const password = store.connections.get(accountId)?.password;
      if (password == null) return view(session);
      // The new order applies at once: the session starts again over it (its outbox waits in the profile meanwhile).
      ctx.sessions.delete(accountId);
      await session.stop();
      const next = startSession(accountId, session.jid, password, endpoints, session.secretKey);
      next.start().catch((err: unknown) => {
        ctx.log.warn(`account ${String(accountId)} could not connect yet`, err);
      });
      return view(next);
    },
    setNickname: async ({ accountId, nickname }) => {
      await requireSession(accountId).profiles.setNickname(nickname);
      return {};
    },
    setAvatar: async ({ accountId, dataUrl }) => {
      const m = /^data:image\/(png|jpeg);base64,([A-Za-z0-9+/=]+)$/.exec(dataUrl);
      if (m?.[2] === undefined) throw new AccountInputError('avatar-bad-type', 'The picture must be a PNG or JPEG image.');
      // checkAvatar (in setAvatar) checks the bytes themselves: type, size (64 KiB), dimensions.
      await requireSession(accountId).profiles.setAvatar(new Uint8Array(Buffer.from(m[2], 'base64')));
      return {};
    },
    newBackupCode: async ({ accountId }) => {
      const session = ctx.sessions.get(accountId);
      if (session === undefined) throw new AccountInputError('account-unknown', 'There is no such account.');
      const code = makeBackupCode();
      await session.keys.publishBackup(session.secretKey, code);
      return { backupCode: code };
    },
  };

  return {
    handlers,
    resume: async () => {
      const store = ctx.store();
      for (const a of store.accounts.list()) {
        if (ctx.sessions.has(a.id)) continue;
        const conn = store.connections.get(a.id);
        if (conn?.password == null || conn.secretKey === null || conn.endpoints.length === 0) continue;
        try {
          const key = await openKey(conn.secretKey, a.jid);
          const session = startSession(a.id, a.jid, conn.password, conn.endpoints, key);
          session.start().catch((err: unknown) => {
            ctx.log.warn(`account ${String(a.id)} could not connect yet`, err);
          });
        } catch (err) {
          ctx.log.error(`account ${String(a.id)} could not be loaded`, err);
        }
      }
    },
  };
}
