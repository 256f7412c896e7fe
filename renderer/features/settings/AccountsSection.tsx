import { useCallback, useEffect, useState } from 'react';
import type { AccountView, AppInfo } from '../../../src/api/contract';
import { call } from '../../app/api';
import { useCoveEvent } from '../../app/events';
import { errorText } from '../onboarding/errors';
import { Onboarding } from '../onboarding/Onboarding';
import { AccountCard } from './AccountCard';

/** Settings › Accounts: every account of the profile, kept current by the core's events. */
export function AccountsSection() {
  const [accounts, setAccounts] = useState<AccountView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  /** Adding another account: the onboarding's connection, gateway and account steps, in place of the list. */
  const [adding, setAdding] = useState<AppInfo | null>(null);

  const load = useCallback(async () => {
    try {
      setAccounts(await call('accounts', {}));
      setError(null);
    } catch (err) {
      setError(errorText(err));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);
  useCoveEvent('accounts', () => void load());
  useCoveEvent('account', (e) => {
    setAccounts((list) => list?.map((a) => (a.id === e.account.id ? e.account : a)) ?? list);
  });

  if (adding !== null) {
    return (
      <section className="section" aria-label="Add an account">
        <Onboarding
          info={{ ...adding, profile: 'open' }}
          onDone={() => {
            setAdding(null);
            void load();
          }}
        />
        <button type="button" className="button button-quiet" onClick={() => { setAdding(null); }}>
          Cancel
        </button>
      </section>
    );
  }

  return (
    <section className="section" aria-labelledby="settings-accounts">
      <h2 tabIndex={-1} id="settings-accounts">Accounts</h2>
      {error !== null && (
        <p role="alert" className="notice notice-danger">
          {error}
        </p>
      )}
      {accounts === null && error === null && (
        <p role="status" className="muted">
          Loading accounts…
        </p>
      )}
      {accounts?.length === 0 && <p className="muted">There are no accounts on this computer.</p>}
      {accounts?.map((a) => (
        <AccountCard
          key={a.id}
          account={a}
          onChange={(view) => { setAccounts((list) => list?.map((x) => (x.id === view.id ? view : x)) ?? list); }}
          onRemoved={() => void load()}
        />
      ))}
      <button
        type="button"
        className="button"
        onClick={() => {
          call('appInfo', {})
            .then(setAdding)
            .catch((err: unknown) => {
              setError(errorText(err));
            });
        }}
      >
        Add another account
      </button>
    </section>
  );
}
