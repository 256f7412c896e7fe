/**
 * The decisions of the Electron shell, as plain functions that policy.test.ts checks (Electron itself cannot run in
 * the tests): which requests the page may make, which `xmpp:` link a launch carries, and what a notification says.
 */
import type { CoveEvent, Settings } from '../src/api/contract';

/**
 * The spellchecker is off (no dictionary is ever fetched from Google's CDN); in case anything still asks, the download
 * URL points at a loopback port where nothing listens, so no name is looked up and nothing leaves the machine.
 */
export const SPELLCHECK_DICTIONARY_URL = 'http://127.0.0.1:9/';

/**
 * The page has no network of its own: it may load its own files (the renderer's directory, as `rendererDirUrl`, a
 * file: URL ending in '/'), data:/blob: URLs (local by nature; the CSP limits them to pictures) and devtools' internal
 * pages, nothing else. Every connection goes through the core.
 */
export function rendererRequestAllowed(url: string, rendererDirUrl: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  // devtools' own pages; data: and blob: are built in the page (a CAPTCHA picture), never fetched from anywhere.
  if (parsed.protocol === 'devtools:' || parsed.protocol === 'data:' || parsed.protocol === 'blob:') return true;
  if (parsed.protocol !== 'file:') return false;
  const dir = new URL(rendererDirUrl);
  return parsed.host === dir.host && parsed.pathname.startsWith(dir.pathname) && !parsed.pathname.includes('/../');
}

const MAX_URI = 4096;

/** An `xmpp:` link (RFC 5122) that a launch carries on its command line (Windows, Linux), or undefined. */
export function xmppUriFromArgv(argv: readonly string[]): string | undefined {
  for (let i = argv.length - 1; i >= 0; i -= 1) {
    const uri = checkedXmppUri(argv[i] ?? '');
    if (uri !== undefined) return uri;
  }
  return undefined;
}

/** The link when it is a well-formed `xmpp:` URI of bounded length (no spaces, no control characters). */
export function checkedXmppUri(candidate: string): string | undefined {
  if (candidate.length > MAX_URI || !/^xmpp:[^\s\p{Cc}]+$/iu.test(candidate)) return undefined;
  return `xmpp:${candidate.slice(5)}`;
}

export interface NotificationText {
  readonly title: string;
  readonly body: string;
}

const MAX_BODY = 200;

/**
 * What the system notification of an event says, or undefined for none: only for an incoming message, while the
 * window is not in front, with notifications on. Who wrote and what is shown only with `showText` (the system's
 * notification centre may keep and show them on a locked screen); otherwise it only says that a message came.
 */
export function notificationFor(event: CoveEvent, settings: Settings, windowFocused: boolean): NotificationText | undefined {
  if (event.type !== 'message' || event.message.direction !== 'in') return undefined;
  if (!settings.notifications.enabled || windowFocused) return undefined;
  if (!settings.notifications.showText) return { title: 'Cove', body: 'You have a new message.' };
  const body = event.message.body.length > MAX_BODY ? `${event.message.body.slice(0, MAX_BODY - 1)}…` : event.message.body;
  return { title: event.peer, body };
}
