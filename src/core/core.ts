/**
 * The core behind the contract (src/api/contract.ts): one object that owns the profile store, the privacy mode (one
 * Transport for everything), tor, the accounts' sessions and the event stream to the UI. Electron's main process and
 * the browser bridge both serve `core.handlers` through `dispatch()`, which validates every input and output.
 *
 * The operations are grouped by area in privacy.ts, accounts.ts and chats.ts; this file holds the shared state,
 * the profile operations, settings and logs. No operation logs an IP address or a JID (the Logger redacts anyway).
 */
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CoveEvent, Handlers } from '../api/contract';
import { SettingsSchema, type AppInfo, type Settings } from '../api/schemas';
import { CoveError } from '../api/result';
import { Logger, type Sink } from '../log/redact';
import { DirectTransport } from '../net/direct';
import { ModeManager } from '../net/modes';
import { ConnectionRegistry } from '../net/registry';
import { deleteProfile, exportProfile, openProfile, profileMode, type KeySource, type ScryptParams, type Store } from '../store';
import { accountHandlers } from './accounts';
import { chatHandlers } from './chats';
import { privacyHandlers, type PrivacyState } from './privacy';
import type { AccountSession } from './session';
import type { GatewaySource } from './gateways';

export interface CoreOptions {
  /** The profile directory: profile.db (+ header), tor's data dir, exports. Created 0700. */
  readonly profileDir: string;
  readonly shell: 'electron' | 'bridge';
  readonly version: string;
  /** The OS keychain (Electron safeStorage) for the profile key; without it a passphrase is needed. */
  readonly keychain?: KeySource;
  /** scrypt cost of the passphrase KDF (tests use a cheap one). */
  readonly kdf?: ScryptParams;
  /** PEM of the CA(s) gateway certificates chain to; default: the system's (tests: the rig's CA). */
  readonly ca?: string;
  /** Tor: extra torrc lines (tests: the private network) and the binary. */
  readonly tor?: { readonly extraTorrcLines?: readonly string[]; readonly torBinary?: string; readonly bundledDir?: string };
  /** Where the gateway list comes from (the signed directory). */
  readonly gateways: GatewaySource;
  readonly logSink?: Sink;
  /** XMPP timeouts and back-off (tests make them short). */
  readonly xmpp?: { readonly timeoutMs?: number; readonly backoff?: { minMs?: number; maxMs?: number } };
}

const DEFAULT_SETTINGS: Settings = { theme: 'system', notifications: { enabled: true, showText: false } };
const LOG_LINES = 500;

/** The state the operation groups share. */
export interface CoreContext {
  readonly options: CoreOptions;
  readonly log: Logger;
  readonly registry: ConnectionRegistry;
  readonly modes: ModeManager;
  readonly privacy: PrivacyState;
  readonly sessions: Map<number, AccountSession>;
  emit(event: CoveEvent): void;
  /** The open profile; ProfileLockedError when there is none. */
  store(): Store;
}

export class ProfileLockedError extends CoveError {
  override name = 'ProfileLockedError';
  constructor() {
    super('profile-locked', 'The profile is not open: unlock it first.');
  }
}

export class Core {
  readonly handlers: Handlers;
  private readonly events = new EventEmitter<{ event: [CoveEvent] }>();
  private readonly lines: string[] = [];
  private readonly ctx: CoreContext;
  private profile: Store | undefined;
  private readonly privacyOps: ReturnType<typeof privacyHandlers>;
  private readonly accountOps: ReturnType<typeof accountHandlers>;

  constructor(private readonly options: CoreOptions) {
    mkdirSync(options.profileDir, { recursive: true, mode: 0o700 });
    // Every record is redacted by the Logger before it reaches a sink: the Logs screen shows these lines.
    const log = new Logger('core', (r) => {
      this.lines.push(`${r.time} ${r.level} [${r.scope}] ${r.message}`);
      if (this.lines.length > LOG_LINES) this.lines.shift();
      options.logSink?.(r);
    });
    const registry = new ConnectionRegistry();
    // Until the user picks a mode the profile remembers, nothing connects: the first connection waits for it.
    const modes = new ModeManager(registry, new DirectTransport());
    const sessions = new Map<number, AccountSession>();
    const privacy: PrivacyState = { settings: { mode: 'direct' }, tor: undefined, error: undefined, bridges: { enabled: false, lines: [] }, vpn: undefined };
    this.ctx = {
      options,
      log,
      registry,
      modes,
      privacy,
      sessions,
      emit: (event) => this.events.emit('event', event),
      store: () => {
        if (this.profile === undefined) throw new ProfileLockedError();
        return this.profile;
      },
    };
    registry.on('opened', () => {
      this.ctx.emit({ type: 'connections' });
    });
    registry.on('closed', () => {
      this.ctx.emit({ type: 'connections' });
    });
    this.privacyOps = privacyHandlers(this.ctx);
    this.accountOps = accountHandlers(this.ctx);
    this.handlers = {
      appInfo: () => Promise.resolve(this.appInfo()),
      profileCreate: async (input) => {
        if (this.profile !== undefined || profileMode(this.dbPath) !== undefined) throw new CoveError('profile-exists', 'A profile exists already: unlock it.');
        if (input.protection === 'keychain') {
          const source = this.requireKeychain();
          await this.opened(openProfile(this.dbPath, { kind: 'keychain', source, profileId: 'default' }, { create: true }));
        } else {
          await this.opened(openProfile(this.dbPath, { kind: 'passphrase', passphrase: input.passphrase, ...(options.kdf === undefined ? {} : { kdf: options.kdf }) }, { create: true }));
        }
        return {};
      },
      profileUnlock: async ({ passphrase }) => {
        if (this.profile !== undefined) return {};
        await this.opened(openProfile(this.dbPath, { kind: 'passphrase', passphrase }));
        return {};
      },
      profileExport: () => {
        const file = join(options.profileDir, `cove-export-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
        const summary = exportProfile(this.ctx.store().db, file);
        return Promise.resolve({ file, accounts: summary.accounts, conversations: summary.conversations, messages: summary.messages });
      },
      profileDelete: async () => {
        await this.closeSessions();
        const profile = this.profile;
        this.profile = undefined;
        await deleteProfile(profile ?? this.dbPath);
        this.ctx.emit({ type: 'profile' });
        return {};
      },
      ...this.privacyOps.handlers,
      ...this.accountOps.handlers,
      ...chatHandlers(this.ctx),
      settings: () => Promise.resolve(this.settings()),
      setSettings: (s) => {
        this.ctx.store().settings.set('app', s);
        return Promise.resolve(this.settings());
      },
      logs: () => Promise.resolve({ lines: [...this.lines] }),
    };
  }

  /** Opens the profile kept in the keychain at start (Electron); a passphrase profile waits for profileUnlock. */
  async start(): Promise<void> {
    if (profileMode(this.dbPath) === 'keychain' && this.options.keychain !== undefined) {
      await this.opened(openProfile(this.dbPath, { kind: 'keychain', source: this.options.keychain, profileId: 'default' }));
    }
  }

  subscribe(listener: (event: CoveEvent) => void): () => void {
    this.events.on('event', listener);
    return () => {
      this.events.off('event', listener);
    };
  }

  /** Stops every account (their outboxes stay in the profile), tor, and closes the profile. */
  async close(): Promise<void> {
    await this.closeSessions();
    await this.privacyOps.close();
    this.ctx.registry.dispose();
    this.profile?.close();
    this.profile = undefined;
  }

  get logger(): Logger {
    return this.ctx.log;
  }

  private get dbPath(): string {
    return join(this.options.profileDir, 'profile.db');
  }

  private appInfo(): AppInfo {
    const mode = profileMode(this.dbPath);
    return {
      version: this.options.version,
      platform: process.platform,
      shell: this.options.shell,
      profile: this.profile !== undefined ? 'open' : mode === undefined ? 'none' : 'locked',
      keychain: this.options.keychain !== undefined,
    };
  }

  private settings(): Settings {
    const parsed = SettingsSchema.safeParse(this.ctx.store().settings.get('app'));
    return parsed.success ? parsed.data : DEFAULT_SETTINGS;
  }

  private requireKeychain(): KeySource {
    if (this.options.keychain === undefined) throw new CoveError('keychain-unavailable', 'This system has no keychain Cove can use: choose a passphrase.');
    return this.options.keychain;
  }

  private async opened(pending: Promise<Store>): Promise<void> {
    this.profile = await pending;
    await this.privacyOps.restore();
    await this.accountOps.resume();
    this.ctx.emit({ type: 'profile' });
  }

  private async closeSessions(): Promise<void> {
    const all = [...this.ctx.sessions.values()];
    this.ctx.sessions.clear();
    await Promise.all(all.map((s) => s.stop()));
  }
}
