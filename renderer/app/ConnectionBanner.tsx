import { useEffect, useState } from 'react';
import type { AccountView } from '../../src/api/contract';
import { call } from './api';
import { useCoveEvent } from './events';

/**
 * Says, above every screen, when an account is not connected and why (the core's sentence): a proxy that stopped,
 * tor that is down, a gateway that does not answer. Messages wait in the outbox meanwhile; nothing is lost.
 */
export function ConnectionBanner() {
  const [accounts, setAccounts] = useState<ReadonlyMap<number, AccountView>>(new Map());
  useEffect(() => {
    call('accounts', {})
      .then((list) => {
        setAccounts(new Map(list.map((a) => [a.id, a])));
      })
      .catch(() => undefined);
  }, []);
  useCoveEvent('account', ({ account }) => {
    setAccounts((prev) => new Map(prev).set(account.id, account));
  });
  const troubled = [...accounts.values()].filter((a) => a.state === 'error' || a.state === 'offline');
  if (troubled.length === 0) return null;
  return (
    <div className="connection-banner" role="alert">
      {troubled.map((a) => (
        <p key={a.id}>
          <strong>{a.jid} is not connected.</strong> {a.error?.message ?? 'Cove keeps trying.'} Messages you send wait in the outbox and go out once it is back.
        </p>
      ))}
    </div>
  );
}
