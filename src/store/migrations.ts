/**
 * The schema, as a numbered list of migrations. `PRAGMA user_version` holds the number of the last one applied; each
 * runs in its own transaction together with the bump of user_version, so a crash or an error leaves the database at
 * the version before it. Never edit a migration that has shipped: append a new one.
 *
 * Times are integers, milliseconds since the epoch (UTC). Tables are STRICT, so a wrong type is an error, not a
 * silent conversion.
 */
import type { Db } from './db';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly up: string | ((db: Db) => void);
}

/** Message states in their order; stored as the index, so a state only ever moves forward (`max(state, new)`). */
export const MESSAGE_STATES = ['queued', 'sent', 'acked', 'delivered', 'read'] as const;

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'accounts, conversations, messages',
    up: `
      CREATE TABLE accounts (
        id           INTEGER PRIMARY KEY,
        jid          TEXT NOT NULL UNIQUE,
        display_name TEXT,
        created_at   INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE conversations (
        id         INTEGER PRIMARY KEY,
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        peer_jid   TEXT NOT NULL,
        kind       TEXT NOT NULL DEFAULT 'chat' CHECK (kind IN ('chat', 'groupchat')),
        created_at INTEGER NOT NULL,
        UNIQUE (account_id, peer_jid)
      ) STRICT;

      -- seq is the rowid: the local order in which messages were stored (and, for outgoing ones, enqueued).
      -- id is the XEP-0359 origin-id (else the stanza's id): the same message never shows twice in a conversation.
      -- state: 0 queued, 1 sent, 2 acked (XEP-0198), 3 delivered (XEP-0184), 4 read (XEP-0333).
      CREATE TABLE messages (
        seq             INTEGER PRIMARY KEY,
        conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        id              TEXT NOT NULL CHECK (length(id) BETWEEN 1 AND 256),
        direction       TEXT NOT NULL CHECK (direction IN ('in', 'out')),
        body            TEXT NOT NULL,
        time            INTEGER NOT NULL,
        state           INTEGER NOT NULL CHECK (state BETWEEN 0 AND 4),
        encrypted       INTEGER NOT NULL CHECK (encrypted IN (0, 1)),
        UNIQUE (conversation_id, id)
      ) STRICT;

      -- Keyset paging, newest first: (conversation_id, time) and the rowid the index carries anyway.
      CREATE INDEX messages_by_time ON messages (conversation_id, time);
      -- The outbox: outgoing messages the server has not acked yet, in enqueue order. Small, whatever the history.
      CREATE INDEX messages_outbox ON messages (state) WHERE direction = 'out' AND state < 2;
    `,
  },
  {
    version: 2,
    name: 'full-text search over message bodies',
    // An external-content FTS5 index (the bodies are not stored twice), kept in sync by triggers. 'secure-delete'
    // makes FTS5 remove a deleted message's tokens from the index at once instead of leaving delete markers until
    // the next merge. 'rebuild' indexes the messages an older schema already holds.
    up: `
      CREATE VIRTUAL TABLE messages_fts USING fts5(
        body,
        content = 'messages',
        content_rowid = 'seq',
        tokenize = 'unicode61 remove_diacritics 2'
      );
      INSERT INTO messages_fts (messages_fts, rank) VALUES ('secure-delete', 1);

      CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
        INSERT INTO messages_fts (rowid, body) VALUES (new.seq, new.body);
      END;
      CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.seq, old.body);
      END;
      CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.seq, old.body);
        INSERT INTO messages_fts (rowid, body) VALUES (new.seq, new.body);
      END;

      INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
    `,
  },
  {
    version: 3,
    name: 'roster cache, vCard and avatar cache, contacts OpenPGP keys',
    up: `
      -- XEP-0237 roster versioning: the version of the cached roster, sent on login so the server sends only changes.
      ALTER TABLE accounts ADD COLUMN roster_ver TEXT;

      -- Avatars by their SHA-1 (XEP-0084 / XEP-0153 address them so), shared by every contact that uses one.
      CREATE TABLE avatars (
        hash       TEXT PRIMARY KEY,
        mime       TEXT NOT NULL,
        data       BLOB NOT NULL,
        fetched_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE contacts (
        account_id       INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        jid              TEXT NOT NULL,
        name             TEXT,
        subscription     TEXT NOT NULL DEFAULT 'none' CHECK (subscription IN ('none', 'to', 'from', 'both')),
        ask              INTEGER NOT NULL DEFAULT 0 CHECK (ask IN (0, 1)),
        groups           TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(groups)),
        vcard            TEXT,
        vcard_fetched_at INTEGER,
        avatar_hash      TEXT REFERENCES avatars(hash) ON DELETE SET NULL,
        updated_at       INTEGER NOT NULL,
        PRIMARY KEY (account_id, jid)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX contacts_by_avatar ON contacts (avatar_hash) WHERE avatar_hash IS NOT NULL;

      -- Contacts' OX (XEP-0373) public keys. trust: tofu = first key seen for the JID, accepted on first use;
      -- verified = the user compared the fingerprint; changed = a different key appeared after one was known.
      CREATE TABLE contact_keys (
        account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        jid         TEXT NOT NULL,
        fingerprint TEXT NOT NULL CHECK (fingerprint GLOB '[0-9A-F]*' AND length(fingerprint) IN (40, 64)),
        public_key  BLOB NOT NULL,
        trust       TEXT NOT NULL CHECK (trust IN ('tofu', 'verified', 'changed')),
        first_seen  INTEGER NOT NULL,
        last_seen   INTEGER NOT NULL,
        PRIMARY KEY (account_id, jid, fingerprint)
      ) STRICT;
    `,
  },
  {
    version: 4,
    name: 'account connection settings and key, drafts, settings, unread index, rejected keys',
    // contact_keys gets the 'rejected' trust state: SQLite cannot change a CHECK, so the table is rebuilt (the
    // runner wraps each step in a transaction; foreign keys point from contact_keys, none point to it).
    up: `
      -- What an account needs to connect again after a restart: its gateway endpoints (failover order), its
      -- password and its OX secret key (the profile database is encrypted at rest), and where archive catch-up stopped.
      ALTER TABLE accounts ADD COLUMN endpoints TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(endpoints));
      ALTER TABLE accounts ADD COLUMN password TEXT;
      ALTER TABLE accounts ADD COLUMN secret_key TEXT;
      ALTER TABLE accounts ADD COLUMN mam_cursor TEXT;

      CREATE TABLE drafts (
        conversation_id INTEGER PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
        text            TEXT NOT NULL,
        updated_at      INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL CHECK (json_valid(value))
      ) STRICT;

      -- Unread counts: incoming messages not yet read (state 4), per conversation.
      CREATE INDEX messages_unread ON messages (conversation_id) WHERE direction = 'in' AND state < 4;

      CREATE TABLE contact_keys_v4 (
        account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        jid         TEXT NOT NULL,
        fingerprint TEXT NOT NULL CHECK (fingerprint GLOB '[0-9A-F]*' AND length(fingerprint) IN (40, 64)),
        public_key  BLOB NOT NULL,
        trust       TEXT NOT NULL CHECK (trust IN ('tofu', 'verified', 'changed', 'rejected')),
        first_seen  INTEGER NOT NULL,
        last_seen   INTEGER NOT NULL,
        PRIMARY KEY (account_id, jid, fingerprint)
      ) STRICT;
      INSERT INTO contact_keys_v4 SELECT account_id, jid, fingerprint, public_key, trust, first_seen, last_seen FROM contact_keys;
      DROP TABLE contact_keys;
      ALTER TABLE contact_keys_v4 RENAME TO contact_keys;
    `,
  },
];

export const LATEST_VERSION = migrations.length;
