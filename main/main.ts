// The Electron shell: one hardened window, nothing else yet. The core (src/) runs here in the main process; the
// renderer reaches it only through the preload's contract (the desktop-shell issue adds the contract handlers).
import { app, BrowserWindow, session } from 'electron';
import { join } from 'node:path';
import { CONTENT_SECURITY_POLICY, windowOptions } from './window-options';

if (!app.requestSingleInstanceLock()) app.quit();

app.enableSandbox();

app.on('web-contents-created', (_event, contents) => {
  contents.on('will-navigate', (event) => {
    event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
  });
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
});

void app.whenReady().then(() => {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_wc, _permission, callback) => {
    callback(false);
  });
  ses.setPermissionCheckHandler(() => false);
  ses.setSpellCheckerEnabled(false);
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
  // The renderer has no network of its own: everything goes through the core's transports.
  ses.webRequest.onBeforeRequest((details, callback) => {
    callback({ cancel: !details.url.startsWith('file:') && !details.url.startsWith('devtools:') });
  });

  const win = new BrowserWindow(windowOptions(join(__dirname, 'preload.cjs')));
  win.once('ready-to-show', () => {
    win.show();
  });
  void win.loadFile(join(__dirname, '..', '..', 'renderer', 'dist', 'index.html'));
});

app.on('window-all-closed', () => {
  app.quit();
});
