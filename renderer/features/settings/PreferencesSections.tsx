import { useState } from 'react';
import type { Settings } from '../../../src/api/contract';
import { errorText } from '../onboarding/errors';
import { useSettings } from './store';

const THEMES: { id: Settings['theme']; label: string; hint: string }[] = [
  { id: 'system', label: 'System', hint: 'Follows your computer’s light or dark setting.' },
  { id: 'light', label: 'Light', hint: '' },
  { id: 'dark', label: 'Dark', hint: '' },
];

/** Saves through the store (applied at once) and keeps the core's sentence when it refuses. */
function useSave(): { save: (s: Settings) => void; error: string | null } {
  const store = useSettings((s) => s.save);
  const [error, setError] = useState<string | null>(null);
  return {
    error,
    save: (s) => {
      setError(null);
      store(s).catch((err: unknown) => { setError(errorText(err)); });
    },
  };
}

function SaveError({ error }: { error: string | null }) {
  return error === null ? null : (
    <p role="alert" className="notice notice-danger">
      {error}
    </p>
  );
}

/** Settings › Notifications: on or off, and whether they show the message text (off by default). */
export function NotificationsSection() {
  const settings = useSettings((s) => s.settings);
  const { save, error } = useSave();
  const n = settings.notifications;
  return (
    <section className="section" aria-labelledby="settings-notifications">
      <h2 tabIndex={-1} id="settings-notifications">Notifications</h2>
      <label className="check">
        <input type="checkbox" checked={n.enabled} onChange={(e) => { save({ ...settings, notifications: { ...n, enabled: e.target.checked } }); }} />
        Notify me of new messages
      </label>
      <label className="check">
        <input type="checkbox" checked={n.showText} disabled={!n.enabled} onChange={(e) => { save({ ...settings, notifications: { ...n, showText: e.target.checked } }); }} />
        Show the message text in notifications
        <span className="check-hint">Off by default: the text would appear on the lock screen and to anyone who can see your screen.</span>
      </label>
      <SaveError error={error} />
    </section>
  );
}

/** Settings › Theme: System, Light or Dark, applied as soon as it is picked. */
export function ThemeSection() {
  const settings = useSettings((s) => s.settings);
  const { save, error } = useSave();
  return (
    <section className="section" aria-labelledby="settings-theme">
      <h2 tabIndex={-1} id="settings-theme">Theme</h2>
      <fieldset>
        <legend className="visually-hidden">Theme</legend>
        <div className="row theme-choices">
          {THEMES.map((t) => (
            <label key={t.id} className={settings.theme === t.id ? 'choice choice-selected' : 'choice'}>
              <input type="radio" name="theme" value={t.id} checked={settings.theme === t.id} onChange={() => { save({ ...settings, theme: t.id }); }} />
              <span>{t.label}</span>
              {t.hint !== '' && <span className="small muted">{t.hint}</span>}
            </label>
          ))}
        </div>
      </fieldset>
      <SaveError error={error} />
    </section>
  );
}
