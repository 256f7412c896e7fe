/**
 * Two Cove instances, each its own core + profile behind the browser bridge, driven in real Chromium the way a person
 * uses them, against the rig: two federated Prosody servers, a private Tor network and a real SOCKS5 proxy (dante).
 *   onboarding on a.test and b.test → add each other by invite link → both switch to Tor and watch the progress bar
 *   reach 100 % → OX chat both ways → verify keys → the connections panel shows only Tor hops → switch to SOCKS5 and
 *   keep chatting → the proxy breaks: a clear error, the message waits → the proxy is back: it arrives, once.
 * Screenshots of every screen go to test-results/screenshots/. The note's figures (time to first screen, to first
 * message) are printed, not asserted.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../rig/chromium';
import { startDante, type Dante } from '../rig/dante';
import { trackFailures } from '../rig/lifecycle';
import { startProsodyPair, type ProsodyPair } from '../rig/prosody';
import { startTorNetwork, type TorNetwork } from '../rig/tor-network';
import { finishRunDir, makeRunDir } from '../rig/util';
import { openInstance, type Instance } from './fixtures/instance';

const failures = trackFailures();
let pair: ProsodyPair;
let tor: TorNetwork;
let dante: Dante;
let browser: Browser;
let dir: string;
let alice: Instance;
let bob: Instance;
const PASSPHRASE = 'a passphrase for e2e';
const PASSWORD = 'an account password';
let inviteOfAlice = '';

beforeAll(async () => {
  dir = await makeRunDir('e2e-two');
  [pair, tor, dante, browser] = await Promise.all([startProsodyPair({ name: 'e2e-two' }), startTorNetwork(), startDante({ auth: false }), launchChromium()]);
  alice = await openInstance({ name: 'alice', dir, browser, pair, tor });
  bob = await openInstance({ name: 'bob', dir, browser, pair, tor, colorScheme: 'dark' });
}, 240_000);

afterAll(async () => {
  // Whatever beforeAll got to start (it may have failed half-way).
  const started = <T>(v: T): T | undefined => v;
  await Promise.all([started(alice)?.close(), started(bob)?.close()]);
  await started(browser)?.close();
  await Promise.all([started(pair)?.stop(failures.failed), started(tor)?.stop(failures.failed), started(dante)?.stop()]);
  await finishRunDir(dir, failures.failed);
});

const nav = (page: Page, name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name, exact: true });

async function onboard(i: Instance, domain: string, username: string): Promise<number> {
  const { page } = i;
  const t0 = performance.now();
  await page.goto(i.bridge.url);
  await page.getByRole('heading', { name: 'Protect your profile' }).waitFor();
  const firstScreenMs = performance.now() - t0;
  await i.shot(`onboarding-1-protect-${i.name}`);
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByLabel('Passphrase again').fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: 'How should Cove connect?' }).waitFor();
  await i.shot(`onboarding-2-connect-${i.name}`);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: 'Choose a gateway' }).waitFor();
  await page.getByRole('radio', { name: domain }).check();
  await i.shot(`onboarding-3-gateway-${i.name}`);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Password again').fill(PASSWORD);
  await i.shot(`onboarding-4-account-${i.name}`);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Write down your backup code' }).waitFor({ timeout: 60_000 });
  await i.shot(`onboarding-5-backup-code-${i.name}`);
  await page.getByLabel('I wrote it down').check();
  await page.getByRole('button', { name: 'Start chatting' }).click();
  await nav(page, 'Chats').waitFor();
  return firstScreenMs;
}

/** A message in the open conversation (the chat list shows its preview too). */
const inChat = (page: Page, text: string) => page.getByRole('region', { name: /^Messages with/ }).getByText(text);

async function switchMode(i: Instance, mode: 'Tor' | 'SOCKS5' | 'Direct', fill?: (page: Page) => Promise<void>): Promise<void> {
  const { page } = i;
  await nav(page, 'Privacy').click();
  await page.getByRole('radio', { name: new RegExp(`^${mode}`) }).first().click();
  if (fill !== undefined) await fill(page);
  await page.getByRole('button', { name: 'Apply' }).click();
}

describe('two Cove instances through the bridge in Chromium', () => {
  it('onboards alice on a.test and bob on b.test', { timeout: 180_000 }, async () => {
    const [ta, tb] = [await onboard(alice, 'a.test', 'alice'), await onboard(bob, 'b.test', 'bob')];
    console.log(`[e2e] time to first screen: alice ${ta.toFixed(0)} ms, bob ${tb.toFixed(0)} ms`);
    const accounts = await alice.core.handlers.accounts({});
    expect(accounts.map((a) => a.jid)).toEqual(['alice@a.test']);
  });

  it('both switch to Tor and the progress bar reaches 100 %', { timeout: 180_000 }, async () => {
    for (const i of [alice, bob]) await switchMode(i, 'Tor');
    for (const i of [alice, bob]) {
      const bar = i.page.getByRole('progressbar').first();
      const seen = new Set<string>();
      await expect
        .poll(
          async () => {
            const v = await bar.getAttribute('aria-valuenow').catch(() => null);
            if (v !== null) seen.add(v);
            return (await i.core.handlers.torStatus({})).progress;
          },
          { timeout: 120_000, interval: 200 },
        )
        .toBe(100);
      await i.page.getByText('Tor ready').first().waitFor({ timeout: 30_000 });
      await bar.scrollIntoViewIfNeeded();
      await i.page.waitForTimeout(500); // the bar's width transition, for the screenshot
      console.log(`[e2e] ${i.name}: progress values shown on the way: ${[...seen].join(', ')}`);
      await i.shot(`privacy-tor-ready-${i.name}`);
    }
    expect((await alice.core.handlers.modeGet({})).mode).toBe('tor');
    // The accounts come back through Tor.
    for (const i of [alice, bob]) await expect.poll(async () => (await i.core.handlers.accounts({}))[0]?.state, { timeout: 60_000 }).toBe('online');
  });

  it('adds each other by the invite’s QR code and approve the requests', { timeout: 120_000 }, async () => {
    await nav(alice.page, 'Contacts').click();
    const link = alice.page.getByRole('textbox', { name: 'Invite link', exact: true });
    await expect.poll(async () => link.inputValue(), { timeout: 20_000 }).toMatch(/^xmpp:alice@a\.test\?roster;ox=[0-9A-F]{40}/);
    inviteOfAlice = await link.inputValue();
    await alice.shot('contacts-invite-alice');
    // Bob reads alice's QR code from a picture of her screen (Cove keeps the camera off).
    const qrPicture = join(dir, 'alice-invite-qr.png');
    await alice.page.getByRole('img', { name: 'QR code of your invite link' }).screenshot({ path: qrPicture });
    await nav(bob.page, 'Contacts').click();
    await bob.page.getByLabel('Read a QR code from a picture…').setInputFiles(qrPicture);
    const field = bob.page.getByRole('textbox', { name: 'Address or invite link' });
    await expect.poll(async () => field.inputValue(), { timeout: 10_000 }).toBe(inviteOfAlice);
    await bob.page.getByRole('button', { name: 'Add contact' }).click();
    await alice.page.getByRole('group', { name: 'Request from bob@b.test' }).getByRole('button', { name: 'Approve' }).click({ timeout: 30_000 });
    await bob.page.getByRole('group', { name: 'Request from alice@a.test' }).getByRole('button', { name: 'Approve' }).click({ timeout: 30_000 });
    await expect.poll(async () => (await bob.core.handlers.keys({ accountId: 1, jid: 'alice@a.test' })).keys[0]?.trust, { timeout: 60_000 }).toBe('verified');
    await expect.poll(async () => (await alice.core.handlers.keys({ accountId: 1, jid: 'bob@b.test' })).keys[0]?.trust, { timeout: 60_000 }).toBe('tofu');
    await bob.shot('contacts-bob');
  });

  it('chats OX both ways over Tor', { timeout: 120_000 }, async () => {
    await alice.page.getByRole('listitem').filter({ hasText: 'bob@b.test' }).getByRole('button', { name: 'Message' }).click();
    const composer = alice.page.getByRole('textbox', { name: /^Message to/ });
    await composer.fill('Hello Bob, over Tor 🐚');
    const t0 = performance.now();
    await composer.press('Enter');
    await nav(bob.page, 'Chats').click();
    await bob.page.getByRole('complementary', { name: 'Conversations' }).getByText('alice@a.test').first().click({ timeout: 60_000 });
    await inChat(bob.page, 'Hello Bob, over Tor 🐚').waitFor({ timeout: 60_000 });
    console.log(`[e2e] time to first message (Enter at alice → shown at bob, both over Tor): ${(performance.now() - t0).toFixed(0)} ms`);
    const reply = bob.page.getByRole('textbox', { name: /^Message to/ });
    await reply.fill('Hi Alice! Got it.');
    await reply.press('Enter');
    await inChat(alice.page, 'Hi Alice! Got it.').waitFor({ timeout: 60_000 });
    await expect.poll(async () => alice.page.getByRole('img', { name: /^(Delivered|Read)/ }).count(), { timeout: 60_000 }).toBeGreaterThan(0);
    await alice.shot('chat-alice');
    await bob.shot('chat-bob');
  });

  it('verifies bob’s key by comparing fingerprints', { timeout: 60_000 }, async () => {
    await nav(alice.page, 'Contacts').click();
    await alice.page.getByRole('listitem').filter({ hasText: 'bob@b.test' }).getByRole('button', { name: 'Verify' }).click();
    const dialog = alice.page.getByRole('dialog');
    await dialog.waitFor();
    await alice.shot('verify-dialog-alice');
    await dialog.getByRole('button', { name: 'Mark verified' }).click();
    await expect.poll(async () => (await alice.core.handlers.keys({ accountId: 1, jid: 'bob@b.test' })).keys[0]?.trust, { timeout: 10_000 }).toBe('verified');
    await alice.page.keyboard.press('Escape');
    await expect.poll(async () => dialog.count()).toBe(0);
  });

  it('the connections panel shows only the Tor hop', { timeout: 60_000 }, async () => {
    await nav(alice.page, 'Connections').click();
    await alice.page.getByRole('table').first().waitFor();
    const { connections } = await alice.core.handlers.connections({});
    expect(connections.length).toBeGreaterThan(0);
    expect(connections.every((c) => c.hops.every((h) => h.kind === 'tor'))).toBe(true);
    await alice.shot('connections-tor-alice');
  });

  it('switches to SOCKS5 and keeps chatting', { timeout: 120_000 }, async () => {
    for (const i of [alice, bob]) {
      await switchMode(i, 'SOCKS5', async (page) => {
        await page.getByLabel('Proxy IP address').fill(dante.host);
        await page.getByLabel('Port', { exact: true }).fill(String(dante.port));
      });
      await expect.poll(async () => (await i.core.handlers.modeGet({})).mode, { timeout: 30_000 }).toBe('socks5');
      await expect.poll(async () => (await i.core.handlers.accounts({}))[0]?.state, { timeout: 60_000 }).toBe('online');
    }
    await alice.shot('privacy-socks5-alice');
    await nav(alice.page, 'Chats').click();
    const composer = alice.page.getByRole('textbox', { name: /^Message to/ });
    await composer.fill('Now through the SOCKS5 proxy');
    await composer.press('Enter');
    await nav(bob.page, 'Chats').click();
    await inChat(bob.page, 'Now through the SOCKS5 proxy').waitFor({ timeout: 60_000 });
    const { connections } = await alice.core.handlers.connections({});
    expect(connections.every((c) => c.hops.every((h) => h.kind === 'proxy'))).toBe(true);
  });

  it('a broken proxy shows a clear error, the message waits, and arrives once when the proxy is back', { timeout: 180_000 }, async () => {
    await dante.stop();
    const banner = alice.page.getByRole('alert').filter({ hasText: 'is not connected' });
    await banner.waitFor({ timeout: 60_000 });
    // The reason, in the core's words (the proxy is down), not just "not connected".
    await expect.poll(async () => banner.textContent(), { timeout: 30_000 }).toMatch(/proxy|privacy mode|unreachable|cannot reach/i);
    const composer = alice.page.getByRole('textbox', { name: /^Message to/ });
    await composer.fill('Sent while the proxy was down');
    await composer.press('Enter');
    await alice.page.getByRole('img', { name: 'Waiting' }).first().waitFor({ timeout: 10_000 });
    await alice.shot('proxy-down-alice');
    expect(await inChat(bob.page, 'Sent while the proxy was down').count()).toBe(0);
    await dante.start();
    await inChat(bob.page, 'Sent while the proxy was down').waitFor({ timeout: 90_000 });
    await banner.waitFor({ state: 'detached', timeout: 60_000 });
    // Once, not twice: count it in bob's store.
    const chats = await bob.core.handlers.chats({});
    const conversationId = chats.find((c) => c.peer === 'alice@a.test')?.conversationId ?? -1;
    const page = await bob.core.handlers.messages({ conversationId, limit: 100 });
    expect(page.messages.filter((m) => m.body === 'Sent while the proxy was down')).toHaveLength(1);
    await bob.shot('chat-after-proxy-back-bob');
    expect([...alice.errors, ...bob.errors].filter((e) => !e.includes('WebSocket'))).toEqual([]);
  });
});
