// The database layer on real SQLite files: encryption at rest (the bytes on disk, WAL included), the wrong key, plain
// databases only on request, the connection's pragmas, and migrations (an upgrade that keeps data, a failing one that
// changes nothing, a database from a newer Cove).
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Messages } from './messages';
import { migrations, LATEST_VERSION, type Migration } from './migrations';
import { openDatabase, rekeyDatabase, schemaVersion, type Db } from './db';
import { StoreFileError, StoreKeyError, StoreMigrationError, StoreVersionError } from './errors';
import { useTemp } from './testing/fixtures';

const temp = useTemp('db');

// A body whose words are unlikely anywhere else: the plaintext to look for, and the tokens FTS5 stores.
const SECRET = 'Xylophone quokka marmalade 4711 — the launch code is tangerine';
const NEEDLES = ['Xylophone', 'quokka', 'marmalade', 'tangerine', 'launch code'];

function seed(db: Db, n: number, body: (i: number) => string): void {
  db.prepare("INSERT INTO accounts (jid, created_at) VALUES ('me@a.test', 0)").run();
  db.prepare("INSERT INTO conversations (account_id, peer_jid, created_at) VALUES (1, 'you@b.test', 0)").run();
  const insert = db.prepare("INSERT INTO messages (conversation_id, id, direction, body, time, state, encrypted) VALUES (1, ?, 'in', ?, ?, 3, 1)");
  db.transaction(() => {
    for (let i = 0; i < n; i++) insert.run(`m${i}`, body(i), 1_700_000_000_000 + i);
  })();
}

/** Which needles occur in the file, as UTF-8 (how SQLite stores TEXT) or UTF-16LE, in any letter case. */
function plaintextIn(file: string): string[] {
  const bytes = readFileSync(file);
  const hay = [bytes.toString('latin1').toLowerCase(), bytes.toString('utf16le').toLowerCase()];
  return NEEDLES.filter((n) => hay.some((h) => h.includes(n.toLowerCase())));
}

describe('encryption at rest', () => {
  it('keeps no plaintext of a message body in the database file or its WAL', async () => {
    const path = join(await temp.dir(), 'profile.db');
    const db = temp.track(openDatabase({ path, encryption: { key: randomBytes(32) } }));
    seed(db, 200, (i) => `${SECRET} #${i}`);
    // Still open: the last transactions are in the WAL, not yet checkpointed into the database file.
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(100_000);
    expect(plaintextIn(path)).toEqual([]);
    expect(plaintextIn(`${path}-wal`)).toEqual([]);
    // ...and after a checkpoint has moved every page into the database file.
    db.pragma('wal_checkpoint(TRUNCATE)');
    expect(plaintextIn(path)).toEqual([]);
    // The search index has the words, inside the encrypted file.
    expect(new Messages(db).search('marmalade tangerine', { limit: 500 })).toHaveLength(200);
  });

  it('finds the plaintext in a plain database (the control: the check above can see it)', async () => {
    const path = join(await temp.dir(), 'plain.db');
    const db = temp.track(openDatabase({ path, encryption: 'none' }));
    seed(db, 200, (i) => `${SECRET} #${i}`);
    expect(plaintextIn(`${path}-wal`)).toEqual(NEEDLES);
  });

  it('leaves nothing of a deleted message in the file: secure_delete and FTS5 secure-delete (seen on a plain db)', async () => {
    const path = join(await temp.dir(), 'plain.db');
    const db = temp.track(openDatabase({ path, encryption: 'none' }));
    seed(db, 300, (i) => (i === 150 ? SECRET : `filler message ${i}`));
    db.pragma('wal_checkpoint(TRUNCATE)');
    expect(plaintextIn(path)).toEqual(NEEDLES);
    new Messages(db).delete({ conversationId: 1, id: 'm150' });
    db.pragma('wal_checkpoint(TRUNCATE)');
    // Neither the body (zeroed by secure_delete) nor its words in the search index (FTS5 secure-delete) remain.
    expect(plaintextIn(path)).toEqual([]);
  });

  it('writes the SQLCipher 4 layout: no SQLite magic, a random salt at the start, 4096-byte pages', async () => {
    const dir = await temp.dir();
    const files = [join(dir, 'a.db'), join(dir, 'b.db')];
    for (const path of files) {
      const db = openDatabase({ path, encryption: { key: Buffer.alloc(32, 7) } });
      seed(db, 1, () => SECRET);
      db.close();
    }
    const [a, b] = files.map((f) => readFileSync(f));
    if (a === undefined || b === undefined) throw new Error('unreachable');
    expect(a.subarray(0, 16).toString('latin1')).not.toBe('SQLite format 3\0');
    // Same key, same content, different salt: the files differ from the first byte.
    expect(a.subarray(0, 16).equals(b.subarray(0, 16))).toBe(false);
    expect(a.length % 4096).toBe(0);
  });

  it('refuses a wrong key with StoreKeyError, and the right key still opens it', async () => {
    const path = join(await temp.dir(), 'profile.db');
    const key = randomBytes(32);
    const db = openDatabase({ path, encryption: { key: Buffer.from(key) } });
    seed(db, 3, () => SECRET);
    db.close();
    expect(() => openDatabase({ path, encryption: { key: randomBytes(32) } })).toThrow(StoreKeyError);
    const again = temp.track(openDatabase({ path, encryption: { key } }));
    expect(new Messages(again).count(1)).toBe(3);
  });

  it('opens a plain database only when asked, and never mixes the two up', async () => {
    const dir = await temp.dir();
    const encrypted = join(dir, 'enc.db');
    const plain = join(dir, 'plain.db');
    openDatabase({ path: encrypted, encryption: { key: randomBytes(32) } }).close();
    openDatabase({ path: plain, encryption: 'none' }).close();
    expect(readFileSync(plain).subarray(0, 16).toString('latin1')).toBe('SQLite format 3\0');
    expect(() => openDatabase({ path: encrypted, encryption: 'none' })).toThrow(StoreKeyError);
    expect(() => openDatabase({ path: plain, encryption: { key: randomBytes(32) } })).toThrow(StoreKeyError);
  });

  it('re-keys in place: the old key stops working, the data stays', async () => {
    const path = join(await temp.dir(), 'profile.db');
    const [k1, k2] = [randomBytes(32), randomBytes(32)];
    const db = openDatabase({ path, encryption: { key: Buffer.from(k1) } });
    seed(db, 50, (i) => `${SECRET} ${i}`);
    rekeyDatabase(db, Buffer.from(k2));
    db.close();
    expect(() => openDatabase({ path, encryption: { key: k1 } })).toThrow(StoreKeyError);
    const again = temp.track(openDatabase({ path, encryption: { key: k2 } }));
    expect(new Messages(again).search('quokka', { limit: 100 })).toHaveLength(50);
    expect(plaintextIn(path)).toEqual([]);
  });

  it('rejects a key that is not 32 bytes, and a missing file unless asked to create it', async () => {
    const dir = await temp.dir();
    expect(() => openDatabase({ path: join(dir, 'x.db'), encryption: { key: randomBytes(16) } })).toThrow(RangeError);
    expect(() => openDatabase({ path: join(dir, 'y.db'), encryption: 'none', create: false })).toThrow(StoreFileError);
    expect(existsSync(join(dir, 'y.db'))).toBe(false);
  });
});

describe('connection settings', () => {
  it('uses WAL, foreign keys, secure delete, in-memory temp storage and full sync', async () => {
    const db = temp.track(openDatabase({ path: join(await temp.dir(), 'p.db'), encryption: { key: randomBytes(32) } }));
    const get = (p: string): unknown => db.pragma(p, { simple: true });
    expect(get('journal_mode')).toBe('wal');
    expect(get('foreign_keys')).toBe(1);
    expect(get('secure_delete')).toBe(1);
    expect(get('temp_store')).toBe(2);
    expect(get('synchronous')).toBe(2);
    expect(get('cipher')).toBe('sqlcipher');
    db.exec("INSERT INTO accounts (jid, created_at) VALUES ('me@a.test', 0)");
    for (const suffix of ['', '-wal', '-shm']) expect(statSync(`${db.name}${suffix}`).mode & 0o777, `file${suffix}`).toBe(0o600);
    expect(() => db.prepare("INSERT INTO conversations (account_id, peer_jid, created_at) VALUES (99, 'x@y', 0)").run()).toThrow(/FOREIGN KEY/);
  });
});

describe('migrations', () => {
  it('upgrades a v1 database to the latest schema and keeps its data (and indexes it for search)', async () => {
    const path = join(await temp.dir(), 'p.db');
    const key = randomBytes(32);
    const v1 = openDatabase({ path, encryption: { key: Buffer.from(key) }, migrations: migrations.slice(0, 1) });
    expect(schemaVersion(v1)).toBe(1);
    seed(v1, 20, (i) => `old message ${i} about pelicans`);
    expect(v1.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'messages_fts'").get()).toEqual({ n: 0 });
    v1.close();

    const latest = temp.track(openDatabase({ path, encryption: { key } }));
    expect(schemaVersion(latest)).toBe(LATEST_VERSION);
    const messages = new Messages(latest);
    expect(messages.count(1)).toBe(20);
    expect(messages.search('pelicans', { limit: 100 })).toHaveLength(20);
    expect(latest.prepare('SELECT roster_ver FROM accounts').get()).toEqual({ roster_ver: null });
  });

  it('v3 → v4 keeps the contact keys while widening their trust states, and adds the account settings', async () => {
    const path = join(await temp.dir(), 'p.db');
    const v3 = openDatabase({ path, encryption: 'none', migrations: migrations.slice(0, 3) });
    v3.exec("INSERT INTO accounts (jid, created_at) VALUES ('me@a.test', 0)");
    v3.prepare("INSERT INTO contact_keys VALUES (1, 'bob@b.test', ?, x'01', 'changed', 5, 6)").run('A'.repeat(40));
    expect(() => v3.prepare("UPDATE contact_keys SET trust = 'rejected'").run()).toThrow(/CHECK/);
    v3.close();
    const v4 = temp.track(openDatabase({ path, encryption: 'none' }));
    expect(v4.prepare('SELECT jid, trust, first_seen, last_seen FROM contact_keys').all()).toEqual([{ jid: 'bob@b.test', trust: 'changed', first_seen: 5, last_seen: 6 }]);
    v4.prepare("UPDATE contact_keys SET trust = 'rejected'").run();
    expect(() => v4.prepare("UPDATE contact_keys SET trust = 'maybe'").run()).toThrow(/CHECK/);
    expect(v4.prepare('SELECT endpoints, password, secret_key, mam_cursor FROM accounts').get()).toEqual({ endpoints: '[]', password: null, secret_key: null, mam_cursor: null });
    expect(() => v4.prepare("INSERT INTO settings VALUES ('x', 'not json')").run()).toThrow(/CHECK/);
    expect(() => v4.prepare("DELETE FROM accounts").run()).not.toThrow();
    expect(v4.prepare('SELECT count(*) AS n FROM contact_keys').get()).toEqual({ n: 0 });
  });

  it('rolls a failing migration back completely and reports its version', async () => {
    const path = join(await temp.dir(), 'p.db');
    const broken: Migration[] = [
      ...migrations,
      { version: migrations.length + 1, name: 'half done', up: 'CREATE TABLE half (x INTEGER) STRICT; INSERT INTO nowhere VALUES (1);' },
    ];
    const err: unknown = (() => {
      try {
        openDatabase({ path, encryption: 'none', migrations: broken });
        return undefined;
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(StoreMigrationError);
    expect((err as StoreMigrationError).version).toBe(migrations.length + 1);
    const db = temp.track(openDatabase({ path, encryption: 'none' }));
    expect(schemaVersion(db)).toBe(LATEST_VERSION);
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'half'").get()).toEqual({ n: 0 });
  });

  it('refuses a database written by a newer Cove', async () => {
    const path = join(await temp.dir(), 'p.db');
    const db = openDatabase({ path, encryption: 'none' });
    db.pragma(`user_version = ${LATEST_VERSION + 1}`);
    db.close();
    expect(() => openDatabase({ path, encryption: 'none' })).toThrow(StoreVersionError);
  });
});
