import { ProfileEditor } from './ProfileEditor';
import { useEffect, useId, useRef, useState } from 'react';
import type { AccountView, Endpoint } from '../../../src/api/contract';
import { call } from '../../app/api';
import { BackupCodeBox } from '../onboarding/BackupCode';
import { errorText } from '../onboarding/errors';
import { Dialog } from './Dialog';
import { endpointText, fingerprintGroups, gatewayShareText, kindText, moved, stateBadge } from './format';

/** One account: state, key, gateway spread, failover order of its server addresses, backup code, removal. */
export function AccountCard({ account, onChange, onRemoved }: { account: AccountView; onChange: (a: AccountView) => void; onRemoved: () => void }) {
  const [order, setOrder] = useState<Endpoint[]>(account.endpoints);
  const [orderError, setOrderError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [focusAfter, setFocusAfter] = useState<string | null>(null);
  const [backup, setBackup] = useState<{ state: 'idle' | 'busy' } | { state: 'shown'; code: string }>({ state: 'idle' });
  const [backupError, setBackupError] = useState<string | null>(null);
  const [removing, setRemoving] = useState(false);
  const buttons = useRef(new Map<string, HTMLButtonElement>());
  const titleId = useId();
  const badge = stateBadge(account.state);

  useEffect(() => {
    setOrder(account.endpoints);
  }, [account.endpoints]);

  // After a move, the keyboard focus stays with the moved address (on the other button when this one can't go further).
  useEffect(() => {
    if (focusAfter === null) return;
    const el = buttons.current.get(focusAfter);
    const other = buttons.current.get(focusAfter.endsWith(' up') ? focusAfter.replace(/ up$/, ' down') : focusAfter.replace(/ down$/, ' up'));
    (el !== undefined && !el.disabled ? el : other)?.focus();
    setFocusAfter(null);
  }, [focusAfter, order]);

  const move = async (index: number, delta: -1 | 1) => {
    const item = order[index];
    if (item === undefined) return;
    const previous = order;
    const next = moved(order, index, delta);
    setOrder(next);
    setSaved(false);
    setOrderError(null);
    setFocusAfter(`${endpointText(item)} ${delta < 0 ? 'up' : 'down'}`);
    try {
      const view = await call('accountEndpoints', { accountId: account.id, endpoints: next });
      setSaved(true);
      onChange(view);
    } catch (err) {
      setOrder(previous);
      setOrderError(errorText(err));
    }
  };

  const newBackup = async () => {
    if (backup.state === 'busy') return;
    setBackup({ state: 'busy' });
    setBackupError(null);
    try {
      const { backupCode } = await call('newBackupCode', { accountId: account.id });
      setBackup({ state: 'shown', code: backupCode });
    } catch (err) {
      setBackupError(errorText(err));
      setBackup({ state: 'idle' });
    }
  };

  const ref = (key: string) => (el: HTMLButtonElement | null) => {
    if (el === null) buttons.current.delete(key);
    else buttons.current.set(key, el);
  };

  return (
    <article className="card account-card" aria-labelledby={titleId}>
      <div className="row spread">
        <h3 id={titleId} className="card-title account-address">
          {account.jid}
        </h3>
        <span className={badge.className}>{badge.text}</span>
      </div>
      {account.state === 'error' && account.error !== undefined && <p className="notice notice-danger small">{account.error.message}</p>}
      {account.gatewayRevoked && (
        <p className="notice notice-warn">
          <strong>This gateway was revoked</strong> in the signed directory. Move to another gateway: create an account there, tell your contacts your new address, then remove this one.
        </p>
      )}
      <dl className="account-facts">
        <dt>Encryption key</dt>
        <dd className="mono">{account.fingerprint === null ? 'No key yet' : fingerprintGroups(account.fingerprint)}</dd>
        <dt>Gateway</dt>
        <dd>{gatewayShareText(account)}</dd>
      </dl>

      <h4 className="account-subtitle">Server addresses</h4>
      <p className="small muted">Cove tries them in this order and goes to the next one when one does not answer.</p>
      <ol className="endpoint-list">
        {order.map((e, i) => (
          <li key={endpointText(e)} className="endpoint">
            <span className="mono">{endpointText(e)}</span>
            <span className={e.kind === 'onion' ? 'badge' : 'badge badge-muted'}>{kindText(e)}</span>
            {order.length > 1 && (
              <span className="endpoint-moves">
                <button ref={ref(`${endpointText(e)} up`)} type="button" className="button button-small" disabled={i === 0} aria-label={`Move ${endpointText(e)} up`} onClick={() => void move(i, -1)}>
                  Up
                </button>
                <button ref={ref(`${endpointText(e)} down`)} type="button" className="button button-small" disabled={i === order.length - 1} aria-label={`Move ${endpointText(e)} down`} onClick={() => void move(i, 1)}>
                  Down
                </button>
              </span>
            )}
          </li>
        ))}
      </ol>
      <p role="status" className="small muted">
        {saved ? 'New order saved.' : ''}
      </p>
      {orderError !== null && (
        <p role="alert" className="notice notice-danger">
          {orderError}
        </p>
      )}

      <ProfileEditor accountId={account.id} />

      <div className="row account-actions">
        <button type="button" className="button" aria-disabled={backup.state === 'busy'} onClick={() => void newBackup()}>
          {backup.state === 'busy' ? 'Making a new backup code…' : 'New backup code'}
        </button>
        <button type="button" className="button button-quiet account-remove" onClick={() => { setRemoving(true); }}>
          Remove from this computer
        </button>
      </div>
      <p className="small muted">A new backup code replaces the key backup on the server: the previous code stops working.</p>
      {backupError !== null && (
        <p role="alert" className="notice notice-danger">
          {backupError}
        </p>
      )}
      {backup.state === 'shown' && (
        <Dialog title="Your new backup code" onClose={() => { setBackup({ state: 'idle' }); }}>
          <p>Write it down and keep it somewhere safe. It unlocks your encryption key on another device; Cove will not show it again.</p>
          <BackupCodeBox code={backup.code} />
          <div className="dialog-actions">
            <button type="button" className="button button-primary" onClick={() => { setBackup({ state: 'idle' }); }}>
              Done
            </button>
          </div>
        </Dialog>
      )}
      {removing && <RemoveDialog account={account} onClose={() => { setRemoving(false); }} onRemoved={onRemoved} />}
    </article>
  );
}

function RemoveDialog({ account, onClose, onRemoved }: { account: AccountView; onClose: () => void; onRemoved: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const remove = async () => {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      await call('accountRemove', { accountId: account.id });
      onRemoved();
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };
  return (
    <Dialog title={`Remove ${account.jid} from this computer?`} onClose={onClose}>
      <p>Cove removes this account from this computer. The account itself stays on its gateway: you can add it again later with its password, and with a backup code to keep the same key.</p>
      {error !== null && (
        <p role="alert" className="notice notice-danger">
          {error}
        </p>
      )}
      <div className="dialog-actions">
        <button type="button" className="button" onClick={onClose}>
          Cancel
        </button>
        <button type="button" className="button button-danger" aria-disabled={busy} onClick={() => void remove()}>
          {busy ? 'Removing…' : 'Remove'}
        </button>
      </div>
    </Dialog>
  );
}
