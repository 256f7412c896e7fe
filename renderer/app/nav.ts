import { create } from 'zustand';

export type Screen = 'chats' | 'contacts' | 'privacy' | 'connections' | 'settings';

interface NavState {
  screen: Screen;
  /** The open conversation in Chats. */
  conversationId: number | undefined;
  /** The key verification dialog, when open. */
  verify: { accountId: number; jid: string } | undefined;
  /** An xmpp: link the OS opened with Cove: the add-contact form starts with it (and takes it once). */
  pendingAddress: string | undefined;
  go: (screen: Screen) => void;
  openAddContact: (address: string) => void;
  takePendingAddress: () => string | undefined;
  openChat: (conversationId: number) => void;
  openVerify: (accountId: number, jid: string) => void;
  closeVerify: () => void;
}

/** Where the user is in the app (no router: one window, a handful of screens). */
export const useNav = create<NavState>()((set, get) => ({
  screen: 'chats',
  conversationId: undefined,
  verify: undefined,
  pendingAddress: undefined,
  go: (screen) => {
    set({ screen });
  },
  openAddContact: (address) => {
    set({ screen: 'contacts', pendingAddress: address });
  },
  takePendingAddress: () => {
    const address = get().pendingAddress;
    if (address !== undefined) set({ pendingAddress: undefined });
    return address;
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
