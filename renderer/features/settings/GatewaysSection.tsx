import { useEffect, useState } from 'react';
import type { Gateways } from '../../../src/api/contract';
import { call } from '../../app/api';
import { errorText } from '../onboarding/errors';
import { healthText, kindsText } from '../onboarding/validate';
import { timeText } from './format';

/** Settings › Gateways: the signed directory as Cove last saw it, and a refresh through the current privacy mode. */
export function GatewaysSection() {
  const [directory, setDirectory] = useState<Gateways | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    call('gateways', {})
      .then((g) => {
        if (live) setDirectory(g);
      })
      .catch((err: unknown) => {
        if (live) setError(errorText(err));
      });
    return () => {
      live = false;
    };
  }, []);

  const refresh = async () => {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      setDirectory(await call('gatewaysRefresh', {}));
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="section" aria-labelledby="settings-gateways">
      <h2 tabIndex={-1} id="settings-gateways">Gateways</h2>
      <p className="muted">The gateway directory is signed; Cove checks its signature before it uses a list.</p>
      <div className="row gateway-meta">
        <span>Directory serial {directory?.serial ?? '—'}</span>
        <span className="muted">Last refreshed {directory === null || directory.refreshedAt === null ? 'never' : timeText(directory.refreshedAt)}</span>
        <button type="button" className="button button-small" aria-disabled={busy} onClick={() => void refresh()}>
          {busy ? 'Refreshing…' : 'Refresh now'}
        </button>
      </div>
      <p role="status" className="visually-hidden">
        {busy ? 'Refreshing the gateway directory…' : ''}
      </p>
      {directory?.problem !== undefined && <p className="notice notice-warn">{directory.problem}</p>}
      {error !== null && (
        <p role="alert" className="notice notice-danger">
          {error}
        </p>
      )}
      {directory !== null && directory.gateways.length === 0 && <p className="muted">The directory lists no gateways yet.</p>}
      {directory !== null && directory.gateways.length > 0 && (
        <ul className="gateway-table">
          {directory.gateways.map((g) => {
            const health = healthText(g.health);
            return (
              <li key={g.domain} className="gateway-row">
                <strong>{g.domain}</strong>
                <span className="muted">{g.operator}</span>
                <span className="gateway-health">
                  <span className={`dot ${health.dot}`} aria-hidden="true" /> {health.text}
                </span>
                <span className="muted">{kindsText(g.endpoints)}</span>
                {g.revoked && <span className="badge badge-danger">Revoked</span>}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
