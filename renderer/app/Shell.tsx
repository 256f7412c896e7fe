import { ChatsScreen } from '../features/chats/ChatsScreen';
import { ConnectionsScreen } from '../features/connections/ConnectionsScreen';
import { ContactsScreen } from '../features/contacts/ContactsScreen';
import { PrivacyScreen } from '../features/privacy/PrivacyScreen';
import { PrivacyStatus } from '../features/privacy/PrivacyStatus';
import { SettingsScreen } from '../features/settings/SettingsScreen';
import { VerifyDialog } from '../features/verification/VerifyDialog';
import { ConnectionBanner } from './ConnectionBanner';
import { useNav, type Screen } from './nav';

const SCREENS: { id: Screen; label: string }[] = [
  { id: 'chats', label: 'Chats' },
  { id: 'contacts', label: 'Contacts' },
  { id: 'privacy', label: 'Privacy' },
  { id: 'connections', label: 'Connections' },
  { id: 'settings', label: 'Settings' },
];

/** The app once a profile is open: navigation, the privacy status always in view, one screen at a time. */
export function Shell() {
  const screen = useNav((s) => s.screen);
  const go = useNav((s) => s.go);
  const verify = useNav((s) => s.verify);
  return (
    <div className="shell">
      <nav className="shell-nav" aria-label="Main">
        <span className="shell-brand">Cove</span>
        <ul>
          {SCREENS.map((s) => (
            <li key={s.id}>
              <button type="button" className={s.id === screen ? 'nav-item nav-current' : 'nav-item'} aria-current={s.id === screen ? 'page' : undefined} onClick={() => { go(s.id); }}>
                {s.label}
              </button>
            </li>
          ))}
        </ul>
        <PrivacyStatus />
      </nav>
      <main className="shell-main">
        <ConnectionBanner />
        {screen === 'chats' && <ChatsScreen />}
        {screen === 'contacts' && <ContactsScreen />}
        {screen === 'privacy' && <PrivacyScreen />}
        {screen === 'connections' && <ConnectionsScreen />}
        {screen === 'settings' && <SettingsScreen />}
      </main>
      {verify !== undefined && <VerifyDialog accountId={verify.accountId} jid={verify.jid} />}
    </div>
  );
}
