/**
 * The encrypted store with a chat of 100,000 messages (src/store/). The same chat is built twice in this run, in an
 * encrypted profile (SQLCipher 4 format, keychain key) and in a plain one, and each query runs on both: the ratio is
 * what encryption costs. Figures:
 * - insert throughput: bulk (batches of 1000 in one transaction, as a MAM sync stores them) and one enqueue() at a time
 *   (its own transaction, synchronous=FULL: an fsync per message);
 * - opening the conversation: a new connection (key, pragmas, schema check) plus the first page of 50, with SQLite's
 *   page cache empty (the OS cache is warm), and the first page alone on an open connection; the oldest page through
 *   the keyset cursor (a deep page costs the same as the first);
 * - full-text search (50 newest matches) for a word in most messages, a rare word, a prefix and two words;
 * - RSS of a fresh process that opens the profile, reads the first page and searches (vs the same process before
 *   opening), and the database's size on disk.
 * Goals (from the brief): first page < 30 ms, search < 50 ms, RSS < 150 MB.
 */
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { prng, type Rand } from '../test/helpers/prng';
import { finishRunDir, makeRunDir } from '../test/rig/util';
import { openProfile, type Store, type Unlock } from '../src/store/profile';
import type { NewMessage } from '../src/store/messages';
import { median, type Bench, type Figure } from './figure';

const MESSAGES = 100_000;
const BATCH = 1000;
const ENQUEUES = 200;
const OPEN_RUNS = 15;
const QUERY_RUNS = 25;
const VOCABULARY = 5000;
const root = join(import.meta.dirname, '..');

interface Variant {
  name: 'encrypted' | 'plain';
  path: string;
  unlock: () => Unlock;
  conversationId: number;
}

/** Pseudo-words with a Zipf distribution (word k has weight 1/k), as in natural language. */
function makeWords(random: Rand): { words: string[]; pick: () => string } {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  const seen = new Set<string>();
  while (seen.size < VOCABULARY) {
    const len = 2 + Math.floor(random() * 8);
    seen.add(Array.from({ length: len }, () => letters[Math.floor(random() * 26)]).join(''));
  }
  const words = [...seen];
  const cumulative: number[] = [];
  let sum = 0;
  for (let k = 1; k <= VOCABULARY; k++) cumulative.push((sum += 1 / k));
  const pick = (): string => {
    const x = random() * sum;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] ?? 0) < x) lo = mid + 1;
      else hi = mid;
    }
    return words[lo] ?? '';
  };
  return { words, pick };
}

function chat(conversationId: number): NewMessage[] {
  const random = prng(7);
  const { pick } = makeWords(random);
  let time = 1_700_000_000_000;
  return Array.from({ length: MESSAGES }, (_, i) => {
    // Bursts: about a third of the messages share their timestamp with the one before.
    if (random() > 0.33) time += 1 + Math.floor(random() * 60_000);
    const n = 3 + Math.floor(random() * 23);
    return {
      conversationId,
      id: `msg-${i}`,
      direction: random() < 0.5 ? 'in' : 'out',
      body: Array.from({ length: n }, pick).join(' '),
      time,
      state: 'delivered',
      encrypted: true,
    } satisfies NewMessage;
  });
}

function timeMs(work: () => unknown): number {
  const t0 = performance.now();
  work();
  return performance.now() - t0;
}

async function build(v: Omit<Variant, 'conversationId'>): Promise<{ variant: Variant; bulkPerS: number }> {
  const store = await openProfile(v.path, v.unlock(), { create: true });
  try {
    const account = store.accounts.ensure('me@a.test');
    const conversationId = store.conversations.ensure(account.id, 'friend@b.test').id;
    const list = chat(conversationId);
    const t0 = performance.now();
    for (let i = 0; i < list.length; i += BATCH) store.messages.insertMany(list.slice(i, i + BATCH));
    const bulkPerS = MESSAGES / ((performance.now() - t0) / 1000);
    return { variant: { ...v, conversationId }, bulkPerS };
  } finally {
    store.close();
  }
}

/**
 * One enqueue() at a time into each profile, alternating between the two so that both see the same disk (an fsync's
 * latency on a shared machine drifts with other work).
 */
async function enqueueMs(variants: readonly Variant[]): Promise<number[]> {
  const stores = await Promise.all(variants.map(async (v) => openProfile(v.path, v.unlock())));
  try {
    const times = stores.map((): number[] => []);
    for (let i = 0; i < ENQUEUES; i++) {
      stores.forEach((s, j) => {
        times[j]?.push(timeMs(() => s.outbox.enqueue({ conversationId: variants[j]?.conversationId ?? 0, body: `typed message ${i}`, encrypted: true })));
      });
    }
    return times.map(median);
  } finally {
    for (const s of stores) s.close();
  }
}

interface Queries {
  openFirstPage: number;
  firstPage: number;
  oldestPage: number;
  search: Record<string, number>;
}

async function queries(v: Variant, terms: Record<string, string>, signal: AbortSignal): Promise<Queries> {
  const open: number[] = [];
  for (let i = 0; i < OPEN_RUNS; i++) {
    signal.throwIfAborted();
    const t0 = performance.now();
    const s = await openProfile(v.path, v.unlock());
    const page = s.messages.page(v.conversationId, 50);
    open.push(performance.now() - t0);
    s.close();
    if (page.messages.length !== 50) throw new Error('the first page is not full');
  }
  const store: Store = await openProfile(v.path, v.unlock());
  try {
    const first = Array.from({ length: QUERY_RUNS }, () => timeMs(() => store.messages.page(v.conversationId, 50)));
    const oldestCursor = store.db
      .prepare<[number], { time: number; seq: number }>('SELECT time, seq FROM messages WHERE conversation_id = ? ORDER BY time, seq LIMIT 1 OFFSET 50')
      .get(v.conversationId);
    if (oldestCursor === undefined) throw new Error('no messages');
    const oldest = Array.from({ length: QUERY_RUNS }, () => timeMs(() => store.messages.page(v.conversationId, 50, oldestCursor)));
    const search: Record<string, number> = {};
    for (const [label, text] of Object.entries(terms)) {
      signal.throwIfAborted();
      if (store.messages.search(text, { conversationId: v.conversationId }).length === 0) throw new Error(`the search for ${label} found nothing`);
      search[label] = median(Array.from({ length: QUERY_RUNS }, () => timeMs(() => store.messages.search(text, { conversationId: v.conversationId }))));
    }
    return { openFirstPage: median(open), firstPage: median(first), oldestPage: median(oldest), search };
  } finally {
    store.close();
  }
}

function rss(v: Variant, mode: 'keychain' | 'plain', text: string, keyHex: string): { baselineMb: number; openMb: number } {
  const child = join(root, 'src', 'store', 'testing', 'bench-rss-child.ts');
  const out = spawnSync(process.execPath, ['--import', 'tsx', child, v.path, mode, String(v.conversationId), text], {
    cwd: root,
    env: { ...process.env, COVE_BENCH_KEY: keyHex },
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (out.status !== 0) throw new Error(`the RSS child failed: ${out.stderr}`);
  return JSON.parse(out.stdout.trim().split('\n').at(-1) ?? '{}') as { baselineMb: number; openMb: number };
}

const round = (x: number, digits = 2): number => Number(x.toFixed(digits));
const vsPlain = (enc: number, plain: number): NonNullable<Figure['ratio']> => ({ value: enc / plain, against: 'vs plain db' });

async function run(signal: AbortSignal): Promise<Figure[]> {
  const dir = await makeRunDir('bench-store');
  let failed = true;
  try {
    const key = randomBytes(32);
    const keySource = { getOrCreate: () => Promise.resolve(Buffer.from(key)) };
    const enc = await build({ name: 'encrypted', path: join(dir, 'enc.db'), unlock: () => ({ kind: 'keychain', source: keySource, profileId: 'bench' }) });
    signal.throwIfAborted();
    const plain = await build({ name: 'plain', path: join(dir, 'plain.db'), unlock: () => ({ kind: 'plain' }) });

    // Search terms from the chat's own vocabulary: the most frequent word, a rare one, a prefix, two words.
    const { words } = makeWords(prng(7));
    const [w0, w1] = words;
    const rare = words[3000] ?? '';
    const terms = { 'a word in most messages': w0 ?? '', 'a rare word': rare, 'a prefix (2 letters)': (words[10] ?? '').slice(0, 2), 'two words': `${w1 ?? ''} ${rare}` };
    const [encEnqueue = NaN, plainEnqueue = NaN] = await enqueueMs([enc.variant, plain.variant]);
    const qe = await queries(enc.variant, terms, signal);
    const qp = await queries(plain.variant, terms, signal);
    const me = rss(enc.variant, 'keychain', rare, key.toString('hex'));
    const mp = rss(plain.variant, 'plain', rare, '');

    const figures: Figure[] = [
      { name: `bulk insert, ${MESSAGES} messages in batches of ${BATCH}, encrypted`, value: Math.round(enc.bulkPerS), unit: 'msg/s', ratio: vsPlain(enc.bulkPerS, plain.bulkPerS) },
      { name: `outbox enqueue, one transaction each, synchronous=FULL, encrypted (median of ${ENQUEUES})`, value: round(encEnqueue), unit: 'ms', ratio: vsPlain(encEnqueue, plainEnqueue) },
      { name: `open profile + first page of 50, cold SQLite cache, encrypted (median of ${OPEN_RUNS})`, value: round(qe.openFirstPage), unit: 'ms', ratio: vsPlain(qe.openFirstPage, qp.openFirstPage) },
      { name: `first page of 50 on an open profile, encrypted (median of ${QUERY_RUNS})`, value: round(qe.firstPage), unit: 'ms', ratio: vsPlain(qe.firstPage, qp.firstPage) },
      { name: `oldest page of 50 via keyset cursor, encrypted (median of ${QUERY_RUNS})`, value: round(qe.oldestPage), unit: 'ms', ratio: { value: qe.oldestPage / qe.firstPage, against: 'vs first page' } },
    ];
    for (const label of Object.keys(terms)) {
      const e = qe.search[label] ?? NaN;
      const p = qp.search[label] ?? NaN;
      figures.push({ name: `search, ${label}, 50 newest matches, encrypted (median of ${QUERY_RUNS})`, value: round(e), unit: 'ms', ratio: vsPlain(e, p) });
    }
    figures.push(
      { name: 'RSS of a process with the encrypted profile open (page + search done)', value: round(me.openMb, 1), unit: 'MB', ratio: { value: me.openMb / me.baselineMb, against: 'vs the same process before opening' } },
      { name: 'RSS, encrypted vs plain profile open', value: round(me.openMb, 1), unit: 'MB', ratio: vsPlain(me.openMb, mp.openMb) },
      { name: `database size, ${MESSAGES} messages with FTS index, encrypted`, value: round(statSync(enc.variant.path).size / 2 ** 20, 1), unit: 'MiB', ratio: vsPlain(statSync(enc.variant.path).size, statSync(plain.variant.path).size) },
    );
    failed = false;
    return figures;
  } finally {
    await finishRunDir(dir, failed);
  }
}

const bench: Bench = {
  title: 'encrypted store with a 100,000-message chat: inserts, first page, search, memory (encrypted vs plain)',
  run,
};
export default bench;
