import { create } from 'zustand';
import type { ModeId } from './modes';

interface PrivacyState {
  /** The mode the user picked; applying it goes through window.cove once the contract exists. */
  selected: ModeId;
  select: (mode: ModeId) => void;
}

export const usePrivacy = create<PrivacyState>()((set) => ({
  selected: 'tor',
  select: (mode) => {
    set({ selected: mode });
  },
}));
