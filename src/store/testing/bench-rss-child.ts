/**
 * The memory figure of bench/store.bench.ts, measured in a fresh process so that building the 100,000-message chat
 * does not count: prints one JSON line with the RSS after the imports (the baseline) and after opening the profile,
 * reading the conversation's first page and running a search.
 *
 * `node --import tsx bench-rss-child.ts <db> <keychain|plain> <conversationId> <search text>`; a keychain profile's key
 * (hex) comes in COVE_BENCH_KEY.
 */
import { openProfile, type Unlock } from '../profile';

const [path, mode, conversation, text] = process.argv.slice(2);
if (path === undefined || (mode !== 'keychain' && mode !== 'plain') || conversation === undefined || text === undefined) {
  console.error('usage: bench-rss-child.ts <db> <keychain|plain> <conversationId> <search text>');
  process.exit(2);
}
const mb = (): number => process.memoryUsage().rss / (1024 * 1024);

const baseline = mb();
const hex = process.env.COVE_BENCH_KEY ?? '';
const unlock: Unlock =
  mode === 'plain' ? { kind: 'plain' } : { kind: 'keychain', profileId: 'bench', source: { getOrCreate: () => Promise.resolve(Buffer.from(hex, 'hex')) } };
const store = await openProfile(path, unlock);
const page = store.messages.page(Number(conversation), 50);
const found = store.messages.search(text);
const open = mb();
store.close();
console.log(JSON.stringify({ baselineMb: baseline, openMb: open, page: page.messages.length, found: found.length }));
