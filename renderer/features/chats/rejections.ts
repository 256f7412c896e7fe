import { create } from 'zustand';
import type { CoveApi, CoveEvent } from '../../../src/api/contract';
import type { RejectedAlert } from './Conversation';

interface Rejections {
  alerts: RejectedAlert[];
  add: (event: Extract<CoveEvent, { type: 'rejected' }>) => void;
  dismiss: (key: number) => void;
}

let keys = 0;

/**
 * Messages the core refused (forged, undecryptable, a key that does not match an invite…), kept until the user
 * dismisses them in their chat. Fed from the app's start (main.tsx), so one that arrives on another screen is shown
 * when the chat is opened.
 */
export const useRejections = create<Rejections>()((set) => ({
  alerts: [],
  add: (event) => {
    set((s) => ({ alerts: [...s.alerts, { key: ++keys, accountId: event.accountId, peer: event.peer, message: event.error.message }] }));
  },
  dismiss: (key) => {
    set((s) => ({ alerts: s.alerts.filter((a) => a.key !== key) }));
  },
}));

/** Collects the core's 'rejected' events from now on (main.tsx calls it before the first render). */
export function followRejections(cove: Pick<CoveApi, 'subscribe'>): () => void {
  return cove.subscribe((event) => {
    if (event.type === 'rejected') useRejections.getState().add(event);
  });
}
