import { useCallback, useEffect, useState } from 'react';
import type { AppInfo } from '../../src/api/contract';
import { Onboarding } from '../features/onboarding/Onboarding';
import { Unlock } from '../features/onboarding/Unlock';
import { useSettings } from '../features/settings/store';
import { call } from './api';
import { useCoveEvent } from './events';
import { Shell } from './Shell';

type Phase = { kind: 'loading' } | { kind: 'error'; message: string } | { kind: 'ready'; info: AppInfo; accounts: number };

/** Boot: no profile → onboarding; locked → unlock; open but no account → onboarding's account step; else the app. */
export function App() {
  const [phase, setPhase] = useState<Phase>({ kind: 'loading' });
  const theme = useSettings((s) => s.settings.theme);
  const load = useCallback(async () => {
    try {
      const info = await call('appInfo', {});
      const accounts = info.profile === 'open' ? (await call('accounts', {})).length : 0;
      if (info.profile === 'open') await useSettings.getState().load().catch(() => undefined);
      setPhase({ kind: 'ready', info, accounts });
    } catch (err) {
      setPhase({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  useCoveEvent('profile', () => void load());

  if (phase.kind === 'loading') return <p className="boot" role="status">Starting Cove…</p>;
  if (phase.kind === 'error') return <p className="boot boot-error" role="alert">{phase.message}</p>;
  const { info, accounts } = phase;
  if (info.profile === 'locked') return <Unlock onUnlocked={() => void load()} />;
  if (info.profile === 'none' || accounts === 0) return <Onboarding info={info} onDone={() => void load()} />;
  return <Shell />;
}
