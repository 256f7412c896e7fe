import { useCallback, useEffect, useState } from 'react';
import { call } from '../../app/api';
import { errorText } from '../onboarding/errors';

/** Settings › Logs: the recent log as the core keeps it, already redacted. */
export function LogsSection() {
  const [lines, setLines] = useState<string[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(async () => {
    setError(null);
    try {
      setLines((await call('logs', {})).lines);
    } catch (err) {
      setError(errorText(err));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  return (
    <section className="section" aria-labelledby="settings-logs">
      <div className="row spread">
        <h2 tabIndex={-1} id="settings-logs">Logs</h2>
        <button type="button" className="button button-small" onClick={() => void load()}>
          Refresh
        </button>
      </div>
      <p className="muted">These are redacted: no IP addresses or contact addresses. You can share them when you report a problem.</p>
      {error !== null && (
        <p role="alert" className="notice notice-danger">
          {error}
        </p>
      )}
      {lines?.length === 0 && <p className="muted">The log is empty.</p>}
      {lines !== null && lines.length > 0 && (
        <ol className="log-lines" aria-label="Recent log lines" tabIndex={0}>
          {lines.map((line, i) => (
            <li key={i}>{line}</li>
          ))}
        </ol>
      )}
    </section>
  );
}
