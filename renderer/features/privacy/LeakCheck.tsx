/** One click: does any socket of Cove go around the privacy mode? The core asks the kernel and answers. */
import { useId, useState } from 'react';
import type { OpOutput } from '../../../src/api/contract';
import { call } from '../../app/api';
import { errorText } from './modes';

type Outcome = { kind: 'result'; result: OpOutput<'leakCheck'> } | { kind: 'error'; message: string };

export function LeakCheck() {
  const id = useId();
  const [checking, setChecking] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | undefined>();

  async function run(): Promise<void> {
    setChecking(true);
    setOutcome(undefined);
    try {
      setOutcome({ kind: 'result', result: await call('leakCheck', {}) });
    } catch (err) {
      setOutcome({ kind: 'error', message: errorText(err) });
    } finally {
      setChecking(false);
    }
  }

  return (
    <section className="card leak-check" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Leak check</h2>
      <p className="field-hint">Looks at every network socket Cove has open and every name it looked up, and reports any that goes around the privacy mode.</p>
      <button type="button" onClick={() => void run()} disabled={checking}>
        Check for leaks
      </button>
      <div className="leak-result">
        {checking && <p role="status">Checking…</p>}
        {outcome?.kind === 'error' && (
          <p role="alert" className="error">
            {outcome.message}
          </p>
        )}
        {outcome?.kind === 'result' && <LeakResult result={outcome.result} />}
      </div>
    </section>
  );
}

function LeakResult({ result }: { result: OpOutput<'leakCheck'> }) {
  const sockets = result.checked === 1 ? '1 network socket' : `${result.checked} network sockets`;
  if (!result.supported) {
    return (
      <p role="status" className="field-hint">
        The leak check is not supported on this system yet.{result.note !== undefined && ` ${result.note}`}
      </p>
    );
  }
  if (result.ok && result.leaks.length === 0) {
    return (
      <div role="status" className="ok">
        <p>No leaks: {sockets} checked, none goes around the privacy mode.</p>
        {result.note !== undefined && <p className="field-hint">{result.note}</p>}
      </div>
    );
  }
  return (
    <div role="alert" className="error">
      <p>{result.leaks.length === 0 ? `The leak check did not pass (${sockets} checked).` : `${result.leaks.length === 1 ? '1 leak' : `${result.leaks.length} leaks`} found among ${sockets}:`}</p>
      {result.leaks.length > 0 && (
      <ul className="leak-list">
        {result.leaks.map((leak, i) => (
          <li key={i}>{leak}</li>
        ))}
      </ul>
      )}
      {result.note !== undefined && <p className="field-hint">{result.note}</p>}
    </div>
  );
}
