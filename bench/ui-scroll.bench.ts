/**
 * The conversation view with 100,000 messages, in real Chromium through the bridge with the real core: open the
 * chat (first page shown), then scroll up through the history as a person flicking the wheel would, while the view
 * pages older messages in. Measured in the page: frame-to-frame gaps (requestAnimationFrame) and long tasks; the
 * ratio compares the p95 frame gap with a 60 Hz frame (16.7 ms). Nothing is asserted.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startBridge } from '../src/bridge/server';
import { sealKey } from '../src/core/accounts';
import { Core } from '../src/core/core';
import { generateAccountKey } from '../src/crypto/keys';
import { StaticGatewaySource } from '../src/core/gateways';
import { Logger } from '../src/log/redact';
import { openProfile, type NewMessage } from '../src/store';
import { launchChromium } from '../test/rig/chromium';
import { finishRunDir, makeRunDir } from '../test/rig/util';
import { median, type Bench, type Figure } from './figure';

const COUNT = 100_000;
const PASSPHRASE = 'scroll bench passphrase';
const KDF = { N: 2 ** 14, r: 8, p: 1 };
const SCROLL_STEPS = 600;

interface PageStats {
  gaps: number[];
  longTasks: number;
  rows: number;
}

/** Runs in the page (plain JS: the bench is compiled without the DOM's types). */
const IN_PAGE = `(async () => {
  const region = document.querySelector('[role="region"][aria-label^="Messages with"]');
  const find = (el) => {
    if (el === null) return null;
    if (el.scrollHeight > el.clientHeight + 10 && getComputedStyle(el).overflowY !== 'visible') return el;
    for (const child of Array.from(el.children)) {
      const found = find(child);
      if (found !== null) return found;
    }
    return null;
  };
  const scroller = find(region);
  if (scroller === null) throw new Error('no scrolling element in the conversation');
  let longTasks = 0;
  new PerformanceObserver((l) => { longTasks += l.getEntries().length; }).observe({ type: 'longtask' });
  const gaps = [];
  let last = performance.now();
  for (let i = 0; i < STEPS; i += 1) {
    scroller.scrollTop -= 240;
    await new Promise((r) => requestAnimationFrame(() => r()));
    const now = performance.now();
    gaps.push(now - last);
    last = now;
  }
  return { gaps, longTasks, rows: scroller.querySelectorAll('[data-index]').length };
})()`;

function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
}

async function seed(profileDir: string): Promise<void> {
  await mkdir(profileDir, { recursive: true, mode: 0o700 });
  const store = await openProfile(join(profileDir, 'profile.db'), { kind: 'passphrase', passphrase: PASSPHRASE, kdf: KDF }, { create: true });
  try {
    const account = store.accounts.ensure('reader@a.test');
    // An endpoint nothing listens on: the account exists (the app shows its chats) and keeps trying in the background.
    const key = await generateAccountKey('reader@a.test');
    store.connections.set(account.id, { endpoints: [{ host: '127.0.0.1', port: 9, kind: 'clearnet' }], password: 'unused', secretKey: await sealKey(key) });
    const conversation = store.conversations.ensure(account.id, 'writer@b.test');
    const t0 = Date.now() - COUNT * 60_000;
    const words = ['harbour', 'lantern', 'pelican', 'tide', 'ferry', 'gull', 'rope', 'anchor', 'sail', 'mist'];
    const batch: NewMessage[] = [];
    for (let i = 0; i < COUNT; i += 1) {
      const length = 3 + (i % 17);
      const body = Array.from({ length }, (_, j) => words[(i * 7 + j) % words.length]).join(' ');
      batch.push({ conversationId: conversation.id, id: `m-${String(i)}`, direction: i % 3 === 0 ? 'out' : 'in', body, time: t0 + i * 60_000, encrypted: true, state: 'read' });
      if (batch.length === 5000) store.messages.insertMany(batch.splice(0));
    }
    store.messages.insertMany(batch);
  } finally {
    store.close();
  }
}

const bench: Bench = {
  title: 'a 100,000-message conversation in Chromium: frame gaps while scrolling up through the history',
  async run(signal): Promise<Figure[]> {
    const dir = await makeRunDir('bench-ui-scroll');
    const profileDir = join(dir, 'profile');
    const t0 = performance.now();
    await seed(profileDir);
    const seedMs = performance.now() - t0;
    const core = new Core({ profileDir, shell: 'bridge', version: 'bench', kdf: KDF, gateways: new StaticGatewaySource([]), xmpp: { timeoutMs: 2000, backoff: { minMs: 1000, maxMs: 5000 } } });
    const bridge = await startBridge({ service: core, rendererDir: join(import.meta.dirname, '..', 'renderer', 'dist'), log: new Logger('bench', () => undefined) });
    const browser = await launchChromium();
    try {
      signal.throwIfAborted();
      const page = await browser.newPage({ viewport: { width: 1180, height: 760 } });
      await page.goto(bridge.url);
      await page.getByLabel('Passphrase').fill(PASSPHRASE);
      await page.getByRole('button', { name: 'Unlock' }).click();
      const opened0 = performance.now();
      await page.getByRole('complementary', { name: 'Conversations' }).getByText('writer@b.test').first().click();
      const region = page.getByRole('region', { name: /^Messages with/ });
      await region.getByText(/harbour|lantern|pelican/).first().waitFor();
      const openMs = performance.now() - opened0;
      const stats = await page.evaluate<PageStats>(IN_PAGE.replace('STEPS', String(SCROLL_STEPS)));
      const p95 = percentile(stats.gaps, 95);
      return [
        { name: `seed ${String(COUNT)} messages into the encrypted profile`, value: seedMs, unit: 'ms' },
        { name: 'open the chat → first messages shown (unlocked profile, 100k history)', value: openMs, unit: 'ms' },
        { name: `frame gap while scrolling up ${String(SCROLL_STEPS)} frames, median`, value: median(stats.gaps), unit: 'ms' },
        { name: 'frame gap, p95', value: p95, unit: 'ms', ratio: { value: p95 / (1000 / 60), against: 'vs a 60 Hz frame' } },
        { name: 'frame gap, worst', value: Math.max(...stats.gaps), unit: 'ms' },
        { name: 'long tasks (> 50 ms) while scrolling', value: stats.longTasks, unit: 'tasks' },
        { name: 'message rows in the DOM at the end', value: stats.rows, unit: 'rows' },
      ];
    } finally {
      await browser.close();
      await bridge.close();
      await core.close();
      await finishRunDir(dir, false);
    }
  },
};

export default bench;
