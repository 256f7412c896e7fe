/**
 * Opens (or creates) a profile database: SQLCipher-compatible encryption by default, WAL, foreign keys, secure delete,
 * and the migrations of migrations.ts.
 *
 * Encryption is SQLite3 Multiple Ciphers' 'sqlcipher' cipher with `legacy=4`, i.e. SQLCipher 4's format: AES-256-CBC
 * pages of 4096 bytes, HMAC-SHA512 per page, a random 16-byte salt in the first bytes of the file. The key is given
 * raw (`x'<64 hex digits>'`), so SQLCipher's own PBKDF2 is skipped: the key comes from the OS keychain or from our
 * scrypt (key.ts). The WAL is encrypted page by page with the same key. Temporary tables and sort spills stay in
 * memory (`temp_store=MEMORY`), because SQLite's temp files would not be encrypted.
 *
 * `synchronous=FULL`: a message the user has typed is in the outbox once enqueue() returns, even if the machine loses
 * power a moment later (NORMAL would survive a crash of Cove, but not of the OS).
 */
import Database from 'better-sqlite3-multiple-ciphers';
import { closeSync, existsSync, openSync } from 'node:fs';
import { StoreFileError, StoreKeyError, StoreMigrationError, StoreVersionError } from './errors';
import { migrations as allMigrations, type Migration } from './migrations';

export type Db = Database.Database;

/** What better-sqlite3-multiple-ciphers adds to better-sqlite3's Database (see better-sqlite3-multiple-ciphers.d.ts). */
interface CipherMethods {
  /** sqlite3_key(): the key (or `x'…'` raw key) for the main database. */
  key(key: Buffer): number;
  /** sqlite3_rekey(): re-encrypts the main database under a new key. */
  rekey(key: Buffer): number;
}

const cipher = (db: Db): CipherMethods => db as unknown as CipherMethods;

/** A raw 32-byte key, or `'none'` for a plain database (only ever when a caller asks for it explicitly). */
export type Encryption = { readonly key: Buffer } | 'none';

export interface OpenDatabaseOptions {
  readonly path: string;
  readonly encryption: Encryption;
  /** Create the file if it is missing (default). With false, a missing file is a StoreFileError. */
  readonly create?: boolean;
  /** The migrations to apply; all of them unless a test asks for an older schema. */
  readonly migrations?: readonly Migration[];
  /** How long to wait for another connection's write lock, in ms (default 5000). */
  readonly busyTimeoutMs?: number;
}

export const KEY_BYTES = 32;

/** Opens the database, checks the key, sets the connection's pragmas and migrates. Throws typed StoreErrors. */
export function openDatabase(options: OpenDatabaseOptions): Db {
  const create = options.create ?? true;
  if (!existsSync(options.path)) {
    if (!create) throw new StoreFileError('The profile database does not exist.');
    // Private to the user; SQLite gives the -wal and -shm files the database file's mode.
    closeSync(openSync(options.path, 'wx', 0o600));
  }
  const db = new Database(options.path, { fileMustExist: !create, timeout: options.busyTimeoutMs ?? 5000 });
  try {
    if (options.encryption !== 'none') applyKey(db, options.encryption.key);
    checkReadable(db);
    configure(db);
    migrate(db, options.migrations ?? allMigrations);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * Re-encrypts every page under `newKey`, in one transaction (in WAL mode the new pages go to the WAL and reach the
 * database file at the next checkpoint): a crash before it commits leaves the old key in force, after it the new one
 * (key.test.ts kills a process right after the commit).
 */
export function rekeyDatabase(db: Db, newKey: Buffer): void {
  const raw = rawKeyLiteral(newKey);
  try {
    cipher(db).rekey(raw);
  } finally {
    raw.fill(0);
  }
  checkReadable(db);
}

/** The schema version the database is at. */
export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function applyKey(db: Db, key: Buffer): void {
  db.pragma(`cipher = 'sqlcipher'`);
  db.pragma('legacy = 4');
  const raw = rawKeyLiteral(key);
  try {
    cipher(db).key(raw);
  } finally {
    raw.fill(0);
  }
}

/**
 * `x'…'` as bytes: SQLite3 Multiple Ciphers takes it as the raw key (no KDF). Kept in a Buffer, not a string, so that
 * it can be wiped after use and is never part of SQL text.
 */
const HEX = '0123456789abcdef';

function rawKeyLiteral(key: Buffer): Buffer {
  if (key.length !== KEY_BYTES) throw new RangeError(`a store key has ${KEY_BYTES} bytes, not ${key.length}`);
  const out = Buffer.alloc(3 + KEY_BYTES * 2);
  out.write("x'", 0, 'latin1');
  key.forEach((byte, i) => {
    out[2 + 2 * i] = HEX.charCodeAt(byte >> 4);
    out[3 + 2 * i] = HEX.charCodeAt(byte & 0x0f);
  });
  out.write("'", 2 + KEY_BYTES * 2, 'latin1');
  return out;
}

/** The key is only checked when the first page is read: a wrong one reads as "file is not a database". */
function checkReadable(db: Db): void {
  try {
    db.prepare('SELECT count(*) FROM sqlite_schema').get();
  } catch (err) {
    if (isSqliteError(err) && err.code === 'SQLITE_NOTADB') throw new StoreKeyError({ cause: err });
    throw err;
  }
}

function configure(db: Db): void {
  const mode = db.pragma('journal_mode = WAL', { simple: true });
  if (mode !== 'wal') throw new StoreFileError(`The profile database cannot use write-ahead logging (journal mode ${String(mode)}).`);
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('secure_delete = ON');
  db.pragma('temp_store = MEMORY');
}

/** Applies every migration above the database's user_version, each in its own IMMEDIATE transaction. */
export function migrate(db: Db, list: readonly Migration[]): void {
  list.forEach((m, i) => {
    if (m.version !== i + 1) throw new RangeError(`migration ${i} has version ${m.version}; versions must be 1, 2, 3, …`);
  });
  const latest = list.length;
  const current = schemaVersion(db);
  if (current > latest) throw new StoreVersionError(current, latest);
  for (const m of list.slice(current)) {
    const step = db.transaction(() => {
      if (typeof m.up === 'string') db.exec(m.up);
      else m.up(db);
      db.pragma(`user_version = ${m.version}`);
    });
    try {
      step.immediate();
    } catch (err) {
      throw new StoreMigrationError(m.version, { cause: err });
    }
  }
}

function isSqliteError(err: unknown): err is Error & { code: string } {
  return err instanceof Database.SqliteError;
}
