import { create } from 'zustand';
import type { Settings } from '../../../src/api/contract';
import { call } from '../../app/api';

interface SettingsState {
  /** What is in force; the defaults until `load` answers (system theme, notifications on without message text). */
  settings: Settings;
  /** Reads the saved settings from the core. */
  load: () => Promise<void>;
  /** Saves through the core and applies what it answers (throws ApiError if the core refuses). */
  save: (s: Settings) => Promise<void>;
}

export const DEFAULT_SETTINGS: Settings = { theme: 'system', notifications: { enabled: true, showText: false } };

export const useSettings = create<SettingsState>()((set) => ({
  settings: DEFAULT_SETTINGS,
  load: async () => {
    set({ settings: await call('settings', {}) });
  },
  save: async (s) => {
    const previous = useSettings.getState().settings;
    set({ settings: s }); // applied at once (the theme changes as the user picks it) …
    try {
      set({ settings: await call('setSettings', s) });
    } catch (err) {
      set({ settings: previous }); // … and put back if the core could not save it
      throw err;
    }
  },
}));
