/**
 * Export of a profile's decrypted data to a file the user picks, as one JSON document (format "cove-export" v1).
 *
 * JSON rather than an SQL dump: it is the user's data, not our database. A person can read it, any tool can
 * process it, and it does not depend on SQLite, on this schema version or on its internals (the FTS5 shadow tables,
 * state numbers, rowids, foreign keys) — an SQL dump would carry all of those and would only be useful to load back
 * into the same schema. Times are ISO 8601 (UTC, exact to the millisecond), binary data is base64.
 *
 * The file is plaintext: it is written with mode 0600, to a temp file beside the target that is renamed over it
 * once complete, so a failed export leaves no half file. Messages are streamed (one read transaction, a consistent
 * snapshot), so a large history is not held in memory.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { MESSAGE_STATES } from './migrations';
import type { Db } from './db';
import { schemaVersion } from './db';

export interface ExportSummary {
  readonly accounts: number;
  readonly conversations: number;
  readonly messages: number;
  readonly bytes: number;
}

interface Row {
  [column: string]: unknown;
}

/** Buffers writes to a file descriptor in 64 KiB chunks. */
class Out {
  private chunks: string[] = [];
  private size = 0;
  constructor(private readonly fd: number) {}
  write(s: string): void {
    this.chunks.push(s);
    this.size += s.length;
    if (this.size >= 65_536) this.flush();
  }
  flush(): void {
    if (this.chunks.length > 0) writeSync(this.fd, this.chunks.join(''));
    this.chunks = [];
    this.size = 0;
  }
}

const iso = (ms: unknown): string | null => (typeof ms === 'number' ? new Date(ms).toISOString() : null);
const b64 = (b: unknown): string | null => (Buffer.isBuffer(b) ? b.toString('base64') : null);
const json = (v: unknown): string => JSON.stringify(v);

/** Writes the profile's data to `file` (replacing it) and returns what it wrote. */
export function exportProfile(db: Db, file: string): ExportSummary {
  const tmp = `${file}.partial-${randomBytes(4).toString('hex')}`;
  const fd = openSync(tmp, 'wx', 0o600);
  let summary: Omit<ExportSummary, 'bytes'>;
  try {
    const out = new Out(fd);
    summary = db.transaction(() => writeDocument(db, out)).deferred();
    out.flush();
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, file);
  return { ...summary, bytes: statSync(file).size };
}

function writeDocument(db: Db, out: Out): Omit<ExportSummary, 'bytes'> {
  const counts = { accounts: 0, conversations: 0, messages: 0 };
  const contacts = db.prepare<[number], Row>('SELECT * FROM contacts WHERE account_id = ? ORDER BY jid');
  const keys = db.prepare<[number], Row>('SELECT * FROM contact_keys WHERE account_id = ? ORDER BY jid, first_seen');
  const conversations = db.prepare<[number], Row>('SELECT * FROM conversations WHERE account_id = ? ORDER BY id');
  const messages = db.prepare<[number], Row>('SELECT * FROM messages WHERE conversation_id = ? ORDER BY time, seq');

  out.write(`{"format":"cove-export","version":1,"schemaVersion":${schemaVersion(db)},"exportedAt":${json(new Date().toISOString())},`);
  out.write(`"note":"The decrypted data of a Cove profile. Anyone who has this file can read it.",\n"accounts":[`);
  for (const a of db.prepare<[], Row>('SELECT * FROM accounts ORDER BY id').all()) {
    const accountId = a.id as number;
    out.write(counts.accounts++ === 0 ? '\n' : ',\n');
    out.write(`{"jid":${json(a.jid)},"displayName":${json(a.display_name)},"rosterVer":${json(a.roster_ver)},"createdAt":${json(iso(a.created_at))},\n`);
    const contactList = contacts.all(accountId).map((c) => ({
      jid: c.jid,
      name: c.name,
      subscription: c.subscription,
      ask: c.ask === 1,
      groups: JSON.parse(String(c.groups)) as unknown,
      vcard: c.vcard,
      vcardFetchedAt: iso(c.vcard_fetched_at),
      avatarHash: c.avatar_hash,
      updatedAt: iso(c.updated_at),
    }));
    out.write(`"contacts":${json(contactList)},\n`);
    const keyList = keys.all(accountId).map((k) => ({
      jid: k.jid,
      fingerprint: k.fingerprint,
      trust: k.trust,
      firstSeen: iso(k.first_seen),
      lastSeen: iso(k.last_seen),
      publicKey: b64(k.public_key),
    }));
    out.write(`"contactKeys":${json(keyList)},\n"conversations":[`);
    let nConv = 0;
    for (const c of conversations.all(accountId)) {
      counts.conversations++;
      out.write(nConv++ === 0 ? '\n' : ',\n');
      out.write(`{"peerJid":${json(c.peer_jid)},"kind":${json(c.kind)},"createdAt":${json(iso(c.created_at))},"messages":[`);
      let nMsg = 0;
      for (const m of messages.iterate(c.id as number)) {
        counts.messages++;
        out.write(nMsg++ === 0 ? '\n' : ',\n');
        const state = MESSAGE_STATES[m.state as number] ?? null;
        out.write(json({ id: m.id, direction: m.direction, time: iso(m.time), state, encrypted: m.encrypted === 1, body: m.body }));
      }
      out.write(']}');
    }
    out.write(']}');
  }
  out.write('],\n"avatars":[');
  let nAv = 0;
  for (const av of db.prepare<[], Row>('SELECT * FROM avatars ORDER BY hash').iterate()) {
    out.write(nAv++ === 0 ? '\n' : ',\n');
    out.write(json({ hash: av.hash, mime: av.mime, fetchedAt: iso(av.fetched_at), data: b64(av.data) }));
  }
  out.write(']}\n');
  return counts;
}
