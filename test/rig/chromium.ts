/**
 * Real Chromium (Debian's /usr/bin/chromium) driven by playwright-core. The flags keep it off the network: this
 * machine has none, and a test may only talk to loopback.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { RigError } from './util';

export const CHROMIUM_PATH = process.env.COVE_CHROMIUM ?? '/usr/bin/chromium';

/** Where e2e runs save their screenshots. */
export const SCREENSHOT_DIR = join(import.meta.dirname, '..', '..', 'test-results', 'screenshots');

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new RigError(`Chromium is not at ${CHROMIUM_PATH}: run scripts/setup.sh --test (Debian package chromium)`);
  }
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    timeout: 60_000,
    args: [
      '--no-sandbox', // tests run as root, where Chromium's own sandbox cannot start
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-default-apps',
      '--disable-domain-reliability',
      '--no-pings',
    ],
  });
}
