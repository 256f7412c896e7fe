import { useEffect, useState } from 'react';
import { errorText } from '../onboarding/errors';
import { AccountsSection } from './AccountsSection';
import { GatewaysSection } from './GatewaysSection';
import { LogsSection } from './LogsSection';
import { NotificationsSection, ThemeSection } from './PreferencesSections';
import { ProfileSection } from './ProfileSection';
import { useSettings } from './store';
import './settings.css';

const SECTIONS = [
  { id: 'settings-accounts', label: 'Accounts' },
  { id: 'settings-gateways', label: 'Gateways' },
  { id: 'settings-notifications', label: 'Notifications' },
  { id: 'settings-theme', label: 'Theme' },
  { id: 'settings-profile', label: 'Profile' },
  { id: 'settings-logs', label: 'Logs' },
];

/** Settings: accounts, gateways, notifications, theme, profile, logs, on one page with a table of contents. */
export function SettingsScreen() {
  const load = useSettings((s) => s.load);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    load().catch((err: unknown) => { setError(errorText(err)); });
  }, [load]);

  return (
    <div className="screen settings">
      <header className="screen-header">
        <h1>Settings</h1>
        <nav aria-label="Settings sections">
          <ul className="settings-toc">
            {SECTIONS.map((s) => (
              <li key={s.id}>
                <a
                  href={`#${s.id}`}
                  onClick={(e) => {
                    e.preventDefault();
                    document.getElementById(s.id)?.focus(); // focusing the heading scrolls it into view
                  }}
                >
                  {s.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      {error !== null && (
        <p role="alert" className="notice notice-danger">
          {error}
        </p>
      )}
      <AccountsSection />
      <GatewaysSection />
      <NotificationsSection />
      <ThemeSection />
      <ProfileSection />
      <LogsSection />
    </div>
  );
}
