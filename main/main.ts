// The Electron shell: one hardened window, and the core (src/) in this main process. The page reaches the core only
// through the preload's `window.cove` (one IPC channel per operation, checked by ipc.ts); the page itself has no
// network, no spellchecker downloads and no permissions. The decisions are plain functions in policy.ts and ipc.ts,
// tested without Electron; this file only wires them.
import { app, BrowserWindow, dialog, ipcMain, Notification, safeStorage, session } from 'electron';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CoveEvent, Settings } from '../src/api/contract';
import { consoleSink, Logger } from '../src/log/redact';
import { checkedEvent, EVENT_CHANNEL, ipcHandlerTable, trustedSender } from './ipc';
import { safeStorageKeySource } from './keychain';
import { openCore } from './open-core';
import { checkedXmppUri, notificationFor, rendererRequestAllowed, SPELLCHECK_DICTIONARY_URL, xmppUriFromArgv } from './policy';
import { CONTENT_SECURITY_POLICY, windowOptions } from './window-options';

const appRoot = join(__dirname, '..', '..');
const rendererDir = join(appRoot, 'renderer', 'dist');
const indexHtml = join(rendererDir, 'index.html');
const log = new Logger('main', consoleSink);

let win: BrowserWindow | undefined;
let pageLoaded = false;
/** An xmpp: link that came before the page could take it. */
let pendingUri: string | undefined;
let sendToPage: (event: unknown) => void = () => undefined;

if (app.requestSingleInstanceLock()) start();
else app.quit();

function start(): void {
  app.enableSandbox();
  registerProtocol();
  pendingUri = xmppUriFromArgv(process.argv);

  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event) => {
      event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => {
      event.preventDefault();
    });
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });
  // A second launch (a click on an xmpp: link on Windows and Linux) hands its command line to this instance.
  app.on('second-instance', (_event, argv) => {
    focusWindow();
    const uri = xmppUriFromArgv(argv);
    if (uri !== undefined) openUri(uri);
  });
  // macOS delivers xmpp: links as an event instead.
  app.on('open-url', (event, url) => {
    event.preventDefault();
    const uri = checkedXmppUri(url);
    if (uri !== undefined) openUri(uri);
  });
  app.on('window-all-closed', () => {
    app.quit();
  });
  void app.whenReady().then(ready).catch((err: unknown) => {
    log.error('Cove could not start', err);
    dialog.showErrorBox('Cove could not start', err instanceof Error ? err.message : String(err));
    app.exit(1);
  });
}

function registerProtocol(): void {
  // In development Electron runs as `electron <app dir>`: the OS must launch it with that argument.
  const ok = process.defaultApp
    ? app.setAsDefaultProtocolClient('xmpp', process.execPath, [resolve(process.argv[1] ?? '.')])
    : app.setAsDefaultProtocolClient('xmpp');
  if (!ok) log.warn('Cove could not register itself for xmpp: links');
}

function hardenSession(): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_wc, _permission, callback) => {
    callback(false);
  });
  ses.setPermissionCheckHandler(() => false);
  ses.setSpellCheckerEnabled(false);
  ses.setSpellCheckerDictionaryDownloadURL(SPELLCHECK_DICTIONARY_URL);
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
  // The page has no network of its own: its own files only; everything else goes through the core's transports.
  const rendererDirUrl = `${pathToFileURL(rendererDir).href}/`;
  ses.webRequest.onBeforeRequest((details, callback) => {
    const allowed = rendererRequestAllowed(details.url, rendererDirUrl);
    if (!allowed) log.warn(`main: cancelled a request of the page (${details.url.split(':')[0] ?? '?'}:)`);
    callback({ cancel: !allowed });
  });
}

async function ready(): Promise<void> {
  hardenSession();
  const userData = app.getPath('userData');
  const keychain = await safeStorageKeySource(safeStorage, join(userData, 'keychain'), process.platform);
  const core = await openCore({
    profileDir: join(userData, 'profile'),
    shell: 'electron',
    version: app.getVersion(),
    resources: { platform: process.platform, arch: process.arch, isPackaged: app.isPackaged, resourcesPath: process.resourcesPath, appRoot },
    ...(keychain === undefined ? {} : { keychain }),
    logSink: consoleSink,
  });
  closeCoreOnQuit(() => core.close());

  const isTrusted = trustedSender(pathToFileURL(indexHtml).href);
  for (const [channel, handler] of ipcHandlerTable(core, isTrusted, log)) ipcMain.handle(channel, handler);

  const window = new BrowserWindow(windowOptions(join(__dirname, 'preload.cjs')));
  win = window;
  sendToPage = (event) => {
    const checked = checkedEvent(event, log);
    if (checked !== undefined && !window.isDestroyed()) window.webContents.send(EVENT_CHANNEL, checked);
  };
  core.subscribe((event) => {
    sendToPage(event);
    void notify(() => core.handlers.settings({}), event);
  });
  window.webContents.on('did-finish-load', () => {
    pageLoaded = true;
    if (pendingUri !== undefined) openUri(pendingUri);
  });
  window.once('ready-to-show', () => {
    window.show();
  });
  await window.loadFile(indexHtml);
}

/**
 * An xmpp: link for the page (add the contact, open the chat), as the event `{type:'openUri', uri}`. NB: that event
 * is not in the contract yet (EventSchema): until it is, checkedEvent drops it with a log line.
 */
function openUri(uri: string): void {
  if (!pageLoaded) {
    pendingUri = uri;
    return;
  }
  pendingUri = undefined;
  sendToPage({ type: 'openUri', uri });
}

function focusWindow(): void {
  if (win === undefined || win.isDestroyed()) return;
  if (win.isMinimized()) win.restore();
  win.show();
  win.focus();
}

async function notify(settings: () => Promise<Settings>, event: CoveEvent): Promise<void> {
  if (event.type !== 'message' || !Notification.isSupported()) return;
  let current: Settings;
  try {
    current = await settings();
  } catch {
    return; // no open profile: no settings, no notification
  }
  const text = notificationFor(event, current, win?.isFocused() ?? false);
  if (text === undefined) return;
  const note = new Notification({ title: text.title, body: text.body });
  note.on('click', focusWindow);
  note.show();
}

/** Quitting waits for the core to stop its accounts and close the profile (once). */
function closeCoreOnQuit(close: () => Promise<void>): void {
  let state: 'running' | 'closing' | 'closed' = 'running';
  app.on('before-quit', (event) => {
    if (state === 'closed') return;
    event.preventDefault();
    if (state === 'closing') return;
    state = 'closing';
    void close()
      .catch((err: unknown) => {
        log.error('Cove did not stop cleanly', err);
      })
      .finally(() => {
        state = 'closed';
        app.quit();
      });
  });
}
