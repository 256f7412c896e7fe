import { create } from 'zustand';

export type Screen = 'chats' | 'contacts' | 'privacy' | 'connections' | 'settings';

interface NavState {
  screen: Screen;
  /** The open conversation in Chats. */
  conversationId: number | undefined;
  /** The key verification dialog, when open. */
  verify: { accountId: number; jid: string } | undefined;
  go: (screen: Screen) => void;
  openChat: (conversationId: number) => void;
  openVerify: (accountId: number, jid: string) => void;
  closeVerify: () => void;
}

/** Where the user is in the app (no router: one window, a handful of screens). */
export const useNav = create<NavState>()((set) => ({
  screen: 'chats',
  conversationId: undefined,
  verify: undefined,
  go: (screen) => {
    set({ screen });
  },
  openChat: (conversationId) => {
    set({ screen: 'chats', conversationId });
  },
  openVerify: (accountId, jid) => {
    set({ verify: { accountId, jid } });
  },
  closeVerify: () => {
    set({ verify: undefined });
  },
}));
