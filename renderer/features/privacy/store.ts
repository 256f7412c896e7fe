/**
 * The privacy mode and Tor as the core last reported them, shared by the sidebar status and the privacy screen.
 * Both keep it live through `usePrivacyLive` (the 'mode' and 'tor' events plus one read on mount). A read that
 * answers after an event came in is dropped: the event is newer.
 */
import { useEffect } from 'react';
import { create } from 'zustand';
import type { ModeStatus, TorStatus } from '../../../src/api/contract';
import { call } from '../../app/api';
import { useCoveEvent } from '../../app/events';
import { errorText } from './modes';
import type { WhoSeesWhat } from './model';

interface PrivacyState {
  status: ModeStatus | undefined;
  tor: TorStatus | undefined;
  /** The who-sees-what model (it does not change while the app runs: read once). */
  model: WhoSeesWhat | undefined;
  /** Why the mode or Tor status could not be read. */
  loadError: string | undefined;
  /** Bumped on every change of `status` / `tor`, so that a late read does not undo a newer event. */
  statusSeq: number;
  torSeq: number;
  setStatus: (status: ModeStatus) => void;
  setTor: (tor: TorStatus) => void;
}

const initial = { status: undefined, tor: undefined, model: undefined, loadError: undefined, statusSeq: 0, torSeq: 0 };

export const usePrivacy = create<PrivacyState>()((set) => ({
  ...initial,
  setStatus: (status) => {
    set((s) => ({ status, statusSeq: s.statusSeq + 1, loadError: undefined }));
  },
  setTor: (tor) => {
    set((s) => ({ tor, torSeq: s.torSeq + 1 }));
  },
}));

/** Back to nothing known (tests; a profile that closes). */
export function resetPrivacy(): void {
  usePrivacy.setState(initial);
}

export async function refreshStatus(): Promise<void> {
  const seq = usePrivacy.getState().statusSeq;
  try {
    const status = await call('modeGet', {});
    if (usePrivacy.getState().statusSeq === seq) usePrivacy.getState().setStatus(status);
  } catch (err) {
    usePrivacy.setState({ loadError: errorText(err) });
  }
}

export async function refreshTor(): Promise<void> {
  const seq = usePrivacy.getState().torSeq;
  try {
    const tor = await call('torStatus', {});
    if (usePrivacy.getState().torSeq === seq) usePrivacy.getState().setTor(tor);
  } catch {
    // Tor's status is extra information: the mode status says whether anything goes out.
  }
}

/** Reads the who-sees-what model once; throws ApiError when the core cannot give it. */
export async function loadModel(): Promise<WhoSeesWhat> {
  const known = usePrivacy.getState().model;
  if (known !== undefined) return known;
  const model = await call('whoSeesWhat', {});
  usePrivacy.setState({ model });
  return model;
}

/** Keeps the store live while the calling component is mounted. */
export function usePrivacyLive(): void {
  const setStatus = usePrivacy((s) => s.setStatus);
  const setTor = usePrivacy((s) => s.setTor);
  useCoveEvent('mode', (e) => {
    setStatus(e.status);
  });
  useCoveEvent('tor', (e) => {
    setTor(e.status);
  });
  useEffect(() => {
    void refreshStatus();
    void refreshTor();
  }, []);
}
