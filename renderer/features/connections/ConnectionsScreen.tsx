/**
 * Every connection Cove has open — what for, for which account (its label, never its address), in which mode, by
 * which path, to where, since when, how many bytes — and Tor's circuits, with "New identity" in Tor mode. Live from
 * the 'connections' event, with a light poll every 2 s while the window is visible (byte counts move without events).
 */
import { useCallback, useEffect, useId, useRef, useState } from 'react';
import type { Connections, ModeStatus } from '../../../src/api/contract';
import { call } from '../../app/api';
import { useCoveEvent } from '../../app/events';
import { bytesText, purposeText, timeText, viaText, type CircuitView } from './format';
import './connections.css';

const POLL_MS = 2000;
const MODE_NAMES = { direct: 'Direct', socks5: 'SOCKS5', vpn: 'VPN', tor: 'Tor' } as const;

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

type Identity = { kind: 'busy' } | { kind: 'done' } | { kind: 'error'; message: string } | undefined;

export function ConnectionsScreen() {
  const id = useId();
  const [data, setData] = useState<Connections | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [mode, setMode] = useState<ModeStatus | undefined>();
  const [identity, setIdentity] = useState<Identity>();
  const inFlight = useRef(false);

  const load = useCallback(async () => {
    if (inFlight.current) return;
    inFlight.current = true;
    try {
      setData(await call('connections', {}));
      setError(undefined);
    } catch (err) {
      setError(message(err));
    } finally {
      inFlight.current = false;
    }
  }, []);

  useEffect(() => {
    void load();
    call('modeGet', {}).then(setMode, () => undefined);
    const timer = window.setInterval(() => {
      if (document.visibilityState === 'visible') void load();
    }, POLL_MS);
    return () => {
      window.clearInterval(timer);
    };
  }, [load]);
  useCoveEvent('connections', () => void load());
  useCoveEvent('mode', (e) => {
    setMode(e.status);
    void load();
  });

  const torReady = mode?.mode === 'tor' && mode.phase === 'ready';

  async function newIdentity(): Promise<void> {
    setIdentity({ kind: 'busy' });
    try {
      await call('torNewIdentity', {});
      setIdentity({ kind: 'done' });
      void load();
    } catch (err) {
      setIdentity({ kind: 'error', message: message(err) });
    }
  }

  const connections = data?.connections ?? [];
  return (
    <div className="connections">
      <header className="connections-header">
        <h1>Connections</h1>
        <p className="connections-intro">Every connection Cove has open, and the path it takes. Accounts are shown by their label, not their address.</p>
      </header>
      {error !== undefined && (
        <p role="alert" className="connections-error">
          {error}
        </p>
      )}
      <section aria-labelledby={`${id}-live`} className="connections-card">
        <h2 id={`${id}-live`}>Open connections</h2>
        {data === undefined && error === undefined && <p role="status">Loading connections…</p>}
        {data !== undefined && connections.length === 0 && <p className="connections-empty">No connections are open. Cove opens one for each account that is online, and one when it fetches the gateway directory.</p>}
        {connections.length > 0 && (
          <div className="connections-scroll">
            <table className="connections-table">
              <caption className="connections-sr-only">Open connections</caption>
              <thead>
                <tr>
                  <th scope="col">Purpose</th>
                  <th scope="col">Account</th>
                  <th scope="col">Mode</th>
                  <th scope="col">Via</th>
                  <th scope="col">Target</th>
                  <th scope="col">Opened</th>
                  <th scope="col" className="num">
                    In
                  </th>
                  <th scope="col" className="num">
                    Out
                  </th>
                </tr>
              </thead>
              <tbody>
                {connections.map((c) => (
                  <tr key={c.id}>
                    <th scope="row">{purposeText(c.purpose)}</th>
                    <td>{c.account ?? 'No account'}</td>
                    <td>{MODE_NAMES[c.mode]}</td>
                    <td>{viaText(c)}</td>
                    <td className="mono">{c.target}</td>
                    <td>
                      <time dateTime={new Date(c.openedAt).toISOString()}>{timeText(c.openedAt)}</time>
                    </td>
                    <td className="num">{bytesText(c.bytesIn)}</td>
                    <td className="num">{bytesText(c.bytesOut)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section aria-labelledby={`${id}-tor`} className="connections-card">
        <h2 id={`${id}-tor`}>Tor circuits</h2>
        <div className="identity">
          <button type="button" onClick={() => void newIdentity()} disabled={!torReady || identity?.kind === 'busy'} aria-describedby={`${id}-identity-hint`}>
            New identity
          </button>
          <p id={`${id}-identity-hint`} className="connections-hint">
            {torReady ? 'New connections get new Tor circuits, so that servers cannot link them to earlier ones. Open connections keep theirs.' : 'Available in Tor mode, once Tor is ready.'}
          </p>
          {identity?.kind === 'busy' && <p role="status">Asking Tor for new circuits…</p>}
          {identity?.kind === 'done' && <p role="status">Done: new connections use new Tor circuits.</p>}
          {identity?.kind === 'error' && (
            <p role="alert" className="connections-error">
              {identity.message}
            </p>
          )}
        </div>
        <Circuits circuits={data?.circuits} torMode={mode?.mode === 'tor'} />
      </section>
    </div>
  );
}

function Circuits({ circuits, torMode }: { circuits: CircuitView[] | undefined; torMode: boolean }) {
  if (circuits === undefined) return null;
  if (circuits.length === 0) return <p className="connections-empty">{torMode ? 'Tor has no circuits open right now.' : 'Tor circuits are listed here in Tor mode.'}</p>;
  return (
    <div className="connections-scroll">
      <table className="connections-table">
        <caption className="connections-sr-only">Tor circuits</caption>
        <thead>
          <tr>
            <th scope="col">Circuit</th>
            <th scope="col">Status</th>
            <th scope="col">Path (guard → exit)</th>
            <th scope="col">Purpose</th>
          </tr>
        </thead>
        <tbody>
          {circuits.map((c) => (
            <tr key={c.id}>
              <th scope="row" className="mono">
                {c.id}
              </th>
              <td>{c.status}</td>
              <td>{c.path.map((r) => (r.nickname === '' ? r.fingerprint.slice(0, 8) : r.nickname)).join(' → ')}</td>
              <td>{c.purpose ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
