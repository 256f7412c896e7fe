/** Tor bridges: on/off and the bridge lines (obfs4, snowflake or plain), saved through the core, which checks each line. */
import { useEffect, useId, useImperativeHandle, useRef, useState, type SyntheticEvent, type Ref } from 'react';
import type { TorStatus } from '../../../src/api/contract';
import { call } from '../../app/api';
import { errorText } from './modes';
import { usePrivacy } from './store';

export interface BridgesEditorHandle {
  /** Turns bridges on and puts the cursor in the lines (Connection Assist's "Set up bridges"). */
  start: () => void;
}

const MAX_LINES = 32;
const MAX_LINE = 2048;

function linesOf(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

function check(enabled: boolean, lines: string[]): string | undefined {
  if (enabled && lines.length === 0) return 'Add at least one bridge line, or turn bridges off.';
  if (lines.length > MAX_LINES) return `Cove takes at most ${MAX_LINES} bridge lines.`;
  const long = lines.findIndex((l) => l.length > MAX_LINE);
  if (long >= 0) return `Line ${long + 1} is too long for a bridge line.`;
  return undefined;
}

export function BridgesEditor({ tor, ref }: { tor: TorStatus | undefined; ref?: Ref<BridgesEditorHandle> }) {
  const id = useId();
  const setTor = usePrivacy((s) => s.setTor);
  const [enabled, setEnabled] = useState(tor?.bridges.enabled ?? false);
  const [text, setText] = useState(tor?.bridges.lines.join('\n') ?? '');
  const [edited, setEdited] = useState(false);
  const [saving, setSaving] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | undefined>();
  const area = useRef<HTMLTextAreaElement>(null);

  // Until the user edits, show what tor uses.
  useEffect(() => {
    if (edited || tor === undefined) return;
    setEnabled(tor.bridges.enabled);
    setText(tor.bridges.lines.join('\n'));
  }, [tor, edited]);

  useImperativeHandle(ref, () => ({
    start: () => {
      setEnabled(true);
      setEdited(true);
      area.current?.focus();
    },
  }));

  async function save(event: SyntheticEvent): Promise<void> {
    event.preventDefault();
    const lines = linesOf(text);
    const problem = check(enabled, lines);
    if (problem !== undefined) {
      setResult({ ok: false, text: problem });
      return;
    }
    setSaving(true);
    setResult(undefined);
    try {
      setTor(await call('torSetBridges', { enabled, lines }));
      setEdited(false);
      setResult({ ok: true, text: enabled ? `Bridges saved: Tor uses ${lines.length === 1 ? '1 bridge' : `${lines.length} bridges`}.` : 'Bridges turned off: Tor connects to the network directly.' });
    } catch (err) {
      setResult({ ok: false, text: errorText(err) });
    } finally {
      setSaving(false);
    }
  }

  return (
    <form className="bridges" onSubmit={(e) => void save(e)} aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>Bridges</h3>
      <p className="field-hint">
        Bridges are unlisted Tor relays for networks that block Tor. Get bridge lines from bridges.torproject.org or by e-mail to bridges@torproject.org; obfs4 and snowflake bridges are also harder to
        recognise.
      </p>
      <div className="field field-check">
        <input
          id={`${id}-on`}
          type="checkbox"
          checked={enabled}
          onChange={(e) => {
            setEnabled(e.target.checked);
            setEdited(true);
          }}
        />
        <label htmlFor={`${id}-on`}>Use bridges</label>
      </div>
      <div className="field">
        <label htmlFor={`${id}-lines`}>Bridge lines, one a line</label>
        <textarea
          id={`${id}-lines`}
          ref={area}
          rows={4}
          spellCheck={false}
          value={text}
          placeholder="obfs4 IP:PORT FINGERPRINT cert=… iat-mode=0"
          onChange={(e) => {
            setText(e.target.value);
            setEdited(true);
          }}
        />
      </div>
      <button type="submit" disabled={saving}>
        Save bridges
      </button>
      {saving && (
        <p role="status" className="field-hint">
          Saving bridges…
        </p>
      )}
      {result !== undefined && (
        <p role={result.ok ? 'status' : 'alert'} className={result.ok ? 'ok' : 'error'}>
          {result.text}
        </p>
      )}
    </form>
  );
}
