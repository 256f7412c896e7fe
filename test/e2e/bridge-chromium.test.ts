/**
 * The browser bridge in real Chromium: a page served by the bridge installs `window.cove` with the real bridge client
 * (renderer/app/bridge-client.ts) and calls the core through it, under the bridge's CSP (connect-src allows the
 * bridge's socket and nothing else), events arrive, and a stopped core answers 'bridge-closed' instead of hanging.
 * The probe page is built by Vite from renderer/index.html's own CSP <meta>; a second test boots the real renderer
 * (renderer/main.tsx and the whole app) through the bridge.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoveEvent } from '../../src/api/contract';
import { startBridge, type Bridge } from '../../src/bridge/server';
import { gate, TestService } from '../../src/bridge/testing/service';
import { Logger } from '../../src/log/redact';
import { launchChromium } from '../rig/chromium';
import { trackFailures } from '../rig/lifecycle';
import { finishRunDir, freePort, makeRunDir, waitFor } from '../rig/util';

const root = join(import.meta.dirname, '..', '..');
const failures = trackFailures();
const info = { version: '0.1.0', platform: 'linux', shell: 'bridge', profile: 'none', keychain: false } as const;
const log = new Logger('e2e', () => undefined);
let dir: string;
let browser: Browser;

beforeAll(async () => {
  await failures.guard(async () => {
    dir = await makeRunDir('bridge-e2e');
    browser = await launchChromium();
  });
});

afterAll(async () => {
  await browser.close();
  await finishRunDir(dir, failures.failed);
});

/** Builds the probe page with Vite: renderer/index.html's CSP meta, and a script that installs the bridge client. */
async function buildProbe(): Promise<string> {
  const index = await readFile(join(root, 'renderer', 'index.html'), 'utf8');
  const meta = /<meta http-equiv="Content-Security-Policy"[^>]*>/.exec(index)?.[0];
  if (meta === undefined) throw new Error('renderer/index.html has no CSP meta');
  const src = join(dir, 'probe');
  await mkdir(src, { recursive: true });
  await writeFile(join(src, 'index.html'), `<!doctype html><html><head><meta charset="utf-8" />${meta}<title>probe</title><link rel="icon" href="data:," /></head><body><script type="module" src="./probe.ts"></script></body></html>\n`);
  const client = JSON.stringify(join(root, 'renderer', 'app', 'bridge-client.ts'));
  await writeFile(
    join(src, 'probe.ts'),
    `import { installBridgeClient } from ${client};
const probe = { events: [], violations: [] };
window.probe = probe;
document.addEventListener('securitypolicyviolation', (e) => probe.violations.push(e.violatedDirective + ' ' + e.blockedURI));
void installBridgeClient().then(() => {
  window.cove?.subscribe((e) => probe.events.push(e));
  document.body.dataset.bridge = window.cove === undefined ? 'none' : 'ready';
});
`,
  );
  const out = join(dir, 'probe-dist');
  await build({ root: src, base: './', configFile: false, logLevel: 'silent', build: { outDir: out, emptyOutDir: true } });
  return out;
}

/** Evaluates `expression` in the page (a string: this file is compiled without the DOM's types). */
function inPage(page: Page, expression: string): Promise<unknown> {
  return page.evaluate(expression);
}

async function openPage(bridge: Bridge): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  const response = await page.goto(bridge.url, { timeout: 30_000 });
  expect(response?.status()).toBe(200);
  return { page, errors };
}

describe('browser bridge in Chromium', () => {
  it('installs window.cove from the bridge: calls, events, CSP, and bridge-closed when the core stops', async () => {
    const held = gate<undefined>();
    const service = new TestService({
      appInfo: () => Promise.resolve(info),
      torNewIdentity: async () => {
        await held.promise;
        return {};
      },
    });
    const bridge = await startBridge({ service, rendererDir: await buildProbe(), log });
    try {
      const { page, errors } = await openPage(bridge);
      await page.waitForFunction("document.body.dataset.bridge === 'ready'", undefined, { timeout: 20_000 });

      expect(await inPage(page, 'window.cove.appInfo({})')).toEqual({ ok: true, value: info });
      expect(await inPage(page, "window.cove.profileUnlock({ passphrase: '' })")).toMatchObject({ ok: false, error: { code: 'api-bad-input' } });
      expect(await inPage(page, 'Object.keys(window.cove).length')).toBe(Object.keys(service.handlers).length + 1);

      const event: CoveEvent = { type: 'contacts', accountId: 7 };
      service.emit(event);
      await waitFor('the event in the page', async () => ((await inPage(page, 'window.probe.events.length')) === 1 ? true : undefined), 10_000);
      expect(await inPage(page, 'window.probe.events')).toEqual([event]);

      // The page's policy allows the bridge's own socket and no other: a socket to another loopback port is refused.
      const other = await freePort();
      await inPage(page, `try { new WebSocket('ws://127.0.0.1:${other}/').close(); } catch {}`);
      await waitFor('the CSP violation', async () => (((await inPage(page, 'window.probe.violations.length')) as number) > 0 ? true : undefined), 10_000);
      // (Each policy reports: the header's and the meta's. zod's probe for eval, which it survives, shows as script-src.)
      const connect = ((await inPage(page, 'window.probe.violations')) as string[]).filter((v) => v.startsWith('connect-src'));
      expect(new Set(connect)).toEqual(new Set([`connect-src ws://127.0.0.1:${other}/`]));
      expect(errors.filter((e) => e.includes('connect-src')).every((e) => e.includes(String(other)))).toBe(true);

      // A call in flight when the core stops answers bridge-closed; so does the next one.
      await inPage(page, 'void window.cove.torNewIdentity({}).then((r) => { window.probe.pending = r; })');
      await waitFor('the call to reach the core', () => (service.calls.includes('torNewIdentity') ? true : undefined), 10_000);
      await bridge.close();
      await waitFor('the pending call to settle', async () => ((await inPage(page, 'window.probe.pending')) === undefined ? undefined : true), 10_000);
      expect(await inPage(page, 'window.probe.pending')).toMatchObject({ ok: false, error: { code: 'bridge-closed' } });
      expect(await inPage(page, 'window.cove.appInfo({})')).toMatchObject({ ok: false, error: { code: 'bridge-closed' } });
      expect(errors.filter((e) => !e.includes('Content Security Policy'))).toEqual([]);
      await page.close();
    } finally {
      held.open(undefined);
      await bridge.close();
    }
  });

  it('boots the real renderer (renderer/main.tsx) through the bridge: the app asks the core what runs', async () => {
    const out = join(dir, 'renderer-dist');
    await build({ configFile: join(root, 'renderer', 'vite.config.ts'), logLevel: 'silent', build: { outDir: out, emptyOutDir: true } });
    const service = new TestService({ appInfo: () => Promise.resolve(info) });
    const bridge = await startBridge({ service, rendererDir: out, log });
    try {
      const { page, errors } = await openPage(bridge);
      await waitFor('the app to call appInfo through the bridge', () => (service.calls.includes('appInfo') ? true : undefined), 30_000);
      await waitFor('the boot screen to go', async () => ((await page.getByText('Starting Cove…').count()) === 0 ? true : undefined), 20_000);
      expect(await page.getByText('not reachable').count()).toBe(0);
      expect(errors.filter((e) => e.includes('Content Security Policy'))).toEqual([]);
      await page.close();
    } finally {
      await bridge.close();
    }
  });
});
