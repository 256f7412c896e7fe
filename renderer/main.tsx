import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { z } from 'zod';
import { App } from './app/App';
import { installBridgeClient } from './app/bridge-client';
import { useNav } from './app/nav';
import { followRejections } from './features/chats/rejections';

// Zod would probe `new Function` (blocked by the CSP, reported as a violation) to decide on a faster parser.
z.config({ jitless: true });

const root = document.getElementById('root');
if (root === null) throw new Error('index.html has no #root element');
const container = root;

// In Electron the preload has put `window.cove` there already; in a browser the bridge client connects first.
void installBridgeClient().then(() => {
  // Subscribed before the first render: an xmpp: link Electron passes at launch (after the page loaded) is not missed.
  window.cove?.subscribe((event) => {
    if (event.type === 'openUri') useNav.getState().openAddContact(event.uri);
  });
  if (window.cove !== undefined) followRejections(window.cove);
  createRoot(container).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
});
