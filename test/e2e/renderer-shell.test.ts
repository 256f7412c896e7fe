// The real renderer, built by Vite, in real Chromium: the first screen shows the four privacy modes, and they can
// be chosen with the keyboard. (The browser bridge to the core comes with the desktop-shell issue.)
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, SCREENSHOT_DIR } from '../rig/chromium';
import { serveDirectory, type StaticServer } from '../rig/static-server';

let browser: Browser;
let server: StaticServer;

beforeAll(async () => {
  server = await serveDirectory(join(import.meta.dirname, '..', '..', 'renderer', 'dist'));
  browser = await launchChromium();
});

afterAll(async () => {
  await browser.close();
  await server.close();
});

describe('renderer shell in Chromium', () => {
  it.each(['light', 'dark'] as const)('shows the four privacy modes (%s theme)', async (colorScheme) => {
    const page = await browser.newPage({ colorScheme, viewport: { width: 1000, height: 640 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(server.url);
    const radios = page.getByRole('radio');
    await expect.poll(() => radios.count()).toBe(4);
    for (const name of ['Direct', 'SOCKS5', 'VPN', 'Tor']) {
      await expect.poll(() => page.getByRole('radio', { name: new RegExp(`^${name}`) }).count()).toBe(1);
    }
    expect(await page.getByRole('radio', { name: /^Tor/ }).isChecked()).toBe(true);
    // Keyboard: arrow keys move the choice within the radio group.
    await page.getByRole('radio', { name: /^Tor/ }).focus();
    await page.keyboard.press('ArrowLeft');
    expect(await page.getByRole('radio', { name: /^VPN/ }).isChecked()).toBe(true);
    await page.screenshot({ path: join(SCREENSHOT_DIR, `shell-${colorScheme}.png`), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });
});
