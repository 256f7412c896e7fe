/**
 * The child of key.test.ts's re-key crash test: writes to the database at argv[2] under key A (hex in COVE_TEST_KEY_A)
 * with automatic checkpoints off, re-keys it to key B (COVE_TEST_KEY_B), prints the WAL's size and kills itself with
 * SIGKILL before any checkpoint or close: the re-encrypted pages exist only in the WAL.
 */
import { statSync } from 'node:fs';
import { openDatabase, rekeyDatabase } from '../db';

const [path] = process.argv.slice(2);
const a = process.env.COVE_TEST_KEY_A;
const b = process.env.COVE_TEST_KEY_B;
if (path === undefined || a === undefined || b === undefined) {
  console.error('usage: COVE_TEST_KEY_A=… COVE_TEST_KEY_B=… rekey-kill-child.ts <db>');
  process.exit(2);
}
const db = openDatabase({ path, encryption: { key: Buffer.from(a, 'hex') } });
db.pragma('wal_autocheckpoint = 0');
const insert = db.prepare('INSERT INTO accounts (jid, created_at) VALUES (?, 0)');
for (let i = 0; i < 50; i++) insert.run(`user${i}@a.test`);
rekeyDatabase(db, Buffer.from(b, 'hex'));
console.log(`wal ${statSync(`${path}-wal`).size}`);
process.kill(process.pid, 'SIGKILL');
