/**
 * A profile: one encrypted database file, its WAL and shared-memory files, and the header file beside it
 * (key.ts). openProfile() unlocks it with the OS keychain or a passphrase (a plain database only when asked with
 * `{ kind: 'plain' }`), migrates it and offers the unacked outbox again; changePassphrase() re-keys it; deleteProfile()
 * removes it.
 *
 * Deleting does not overwrite the files first. On SSDs the flash translation layer writes an overwrite to fresh
 * cells and leaves the old ones for garbage collection, and copy-on-write or journaling file systems (APFS, btrfs,
 * ZFS, ext4 data=journal) do the same one level up; so an overwrite costs time and flash wear and still guarantees
 * nothing. What protects a deleted profile is that every byte Cove ever wrote to the database and its WAL was
 * ciphertext: deleting the key from the keychain (KeySource.forget) is the crypto-erasure that makes any remnant
 * unreadable. For a passphrase profile the remnants are as strong as the passphrase (and need the salt too).
 */
import { AccountConnections, ChatSummaries, Drafts, Settings } from './app-data';
import { existsSync, rmSync } from 'node:fs';
import { Accounts, Conversations } from './accounts';
import { ContactKeys } from './contact-keys';
import { Contacts } from './contacts';
import { openDatabase, rekeyDatabase, type Db, type Encryption } from './db';
import { StoreFileError, StoreHeaderError, StoreKeyError } from './errors';
import {
  deriveFromHeader,
  headerPath,
  newKdfHeader,
  readHeader,
  removeHeader,
  writeHeader,
  type KdfHeader,
  type KeySource,
  type ScryptParams,
  type StoreHeader,
} from './key';
import { Messages } from './messages';
import type { Migration } from './migrations';
import { Outbox } from './outbox';

export type Unlock =
  | { readonly kind: 'keychain'; readonly source: KeySource; readonly profileId: string }
  | { readonly kind: 'passphrase'; readonly passphrase: string; readonly kdf?: ScryptParams }
  | { readonly kind: 'plain' };

export type ProfileMode = Unlock['kind'];

export interface Store {
  readonly path: string;
  readonly mode: ProfileMode;
  readonly db: Db;
  readonly accounts: Accounts;
  readonly conversations: Conversations;
  readonly messages: Messages;
  readonly outbox: Outbox;
  readonly contacts: Contacts;
  readonly contactKeys: ContactKeys;
  readonly connections: AccountConnections;
  readonly drafts: Drafts;
  readonly settings: Settings;
  readonly chats: ChatSummaries;
  /** How many sent-but-unacked messages went back to the queue when the profile was opened. */
  readonly requeuedOnOpen: number;
  close(): void;
}

export interface OpenProfileOptions {
  /** Create the profile if there is none at `path` (default false). */
  readonly create?: boolean;
  /** For tests of older schemas only. */
  readonly migrations?: readonly Migration[];
}

/** How the profile at `path` is locked (what to ask the user for), or undefined if there is no profile. */
export function profileMode(path: string): ProfileMode | undefined {
  if (!existsSync(path)) return undefined;
  return readHeader(path)?.mode;
}

export async function openProfile(path: string, unlock: Unlock, options: OpenProfileOptions = {}): Promise<Store> {
  const exists = existsSync(path);
  if (!exists) {
    if (options.create !== true) throw new StoreFileError('There is no profile at this path.');
    return create(path, unlock, options);
  }
  const header = readHeader(path);
  if (header === undefined) throw new StoreHeaderError('it is missing');
  if (header.mode !== unlock.kind) throw new StoreKeyError();
  if (unlock.kind === 'passphrase' && header.mode === 'passphrase') return openWithPassphrase(path, unlock.passphrase, header, options);
  const encryption: Encryption = unlock.kind === 'keychain' ? { key: await unlock.source.getOrCreate(unlock.profileId) } : 'none';
  return withKey(encryption, (e) => makeStore(path, header.mode, open(path, e, options)));
}

async function create(path: string, unlock: Unlock, options: OpenProfileOptions): Promise<Store> {
  let header: StoreHeader;
  let encryption: Encryption;
  if (unlock.kind === 'passphrase') {
    const kdf = newKdfHeader(unlock.kdf);
    header = { format: 'cove-store', version: 1, mode: 'passphrase', ...kdf };
    encryption = { key: await deriveFromHeader(unlock.passphrase, kdf) };
  } else if (unlock.kind === 'keychain') {
    header = { format: 'cove-store', version: 1, mode: 'keychain' };
    encryption = { key: await unlock.source.getOrCreate(unlock.profileId) };
  } else {
    header = { format: 'cove-store', version: 1, mode: 'plain' };
    encryption = 'none';
  }
  // The header first: a database without its header (salt) could never be opened again.
  writeHeader(path, header);
  return withKey(encryption, (e) => makeStore(path, header.mode, open(path, e, { ...options, create: true })));
}

/**
 * With a pending passphrase change in the header (Cove stopped during changePassphrase), the database is under the
 * old salt or the new one: the passphrase given is tried under both, and the header is made to match the one that
 * opened it.
 */
async function openWithPassphrase(path: string, passphrase: string, header: StoreHeader & { mode: 'passphrase' }, options: OpenProfileOptions): Promise<Store> {
  const { pending, ...current } = header;
  const attempt = async (kdf: KdfHeader): Promise<Db> => withKey({ key: await deriveFromHeader(passphrase, kdf) }, (e) => open(path, e, options));
  let db: Db;
  let used: KdfHeader = current;
  try {
    db = await attempt(current);
  } catch (err) {
    if (!(err instanceof StoreKeyError) || pending === undefined) throw err;
    db = await attempt(pending);
    used = pending;
  }
  if (pending !== undefined) writeHeader(path, { format: 'cove-store', version: 1, mode: 'passphrase', ...kdfOf(used) });
  return makeStore(path, 'passphrase', db);
}

/**
 * Re-keys a passphrase profile under a new passphrase (and a new salt): the header announces the change first, the
 * database is re-encrypted in one transaction, then the header is finished. A crash anywhere leaves a profile that
 * opens with the old passphrase or the new one (openWithPassphrase). Asking for the old passphrase first is the UI's
 * business: an open store already proves the user had it.
 */
export async function changePassphrase(store: Store, passphrase: string, kdf?: ScryptParams): Promise<void> {
  if (store.mode !== 'passphrase') throw new StoreKeyError();
  const header = readHeader(store.path);
  if (header?.mode !== 'passphrase') throw new StoreHeaderError('it does not describe a passphrase');
  const next = newKdfHeader(kdf);
  const key = await deriveFromHeader(passphrase, next);
  try {
    writeHeader(store.path, { ...header, pending: next });
    rekeyDatabase(store.db, key);
  } finally {
    key.fill(0);
  }
  writeHeader(store.path, { format: 'cove-store', version: 1, mode: 'passphrase', ...next });
}

/** The files of a profile: the database, its WAL, shared-memory index and rollback journal, and the header. */
export function profileFiles(path: string): string[] {
  return [path, `${path}-wal`, `${path}-shm`, `${path}-journal`, headerPath(path), `${headerPath(path)}.tmp`];
}

export interface DeleteOptions {
  /** The keychain holding the profile's key: it is told to forget it (crypto-erasure). */
  readonly keys?: { readonly source: KeySource; readonly profileId: string };
}

/** Closes the profile (if given open) and removes its files, then its key from the keychain. */
export async function deleteProfile(profile: Store | string, options: DeleteOptions = {}): Promise<void> {
  const path = typeof profile === 'string' ? profile : profile.path;
  if (typeof profile !== 'string' && profile.db.open) profile.close();
  for (const file of profileFiles(path)) {
    if (file === headerPath(path)) continue;
    rmSync(file, { force: true });
  }
  // The header last: while any database file is left, it is still needed to open it.
  removeHeader(path);
  await options.keys?.source.forget?.(options.keys.profileId);
}

function open(path: string, encryption: Encryption, options: OpenProfileOptions): Db {
  return openDatabase({
    path,
    encryption,
    create: options.create ?? false,
    ...(options.migrations === undefined ? {} : { migrations: options.migrations }),
  });
}

/** Runs `use` with the key and wipes the key's bytes afterwards, whatever happens. */
function withKey<T>(encryption: Encryption, use: (e: Encryption) => T): T {
  try {
    return use(encryption);
  } finally {
    if (encryption !== 'none') encryption.key.fill(0);
  }
}

function kdfOf(h: KdfHeader): KdfHeader {
  return { kdf: h.kdf, N: h.N, r: h.r, p: h.p, salt: h.salt };
}

function makeStore(path: string, mode: ProfileMode, db: Db): Store {
  try {
    return buildStore(path, mode, db);
  } catch (err) {
    db.close();
    throw err;
  }
}

function buildStore(path: string, mode: ProfileMode, db: Db): Store {
  const outbox = new Outbox(db);
  const requeuedOnOpen = outbox.requeueUnacked();
  return {
    path,
    mode,
    db,
    accounts: new Accounts(db),
    conversations: new Conversations(db),
    messages: new Messages(db),
    outbox,
    contacts: new Contacts(db),
    contactKeys: new ContactKeys(db),
    connections: new AccountConnections(db),
    drafts: new Drafts(db),
    settings: new Settings(db),
    chats: new ChatSummaries(db),
    requeuedOnOpen,
    close: () => {
      if (db.open) db.close();
    },
  };
}
