/** The SOCKS5 proxy settings: checked as the user applies them, errors next to their field. */
import { useId, useRef, useState, type SyntheticEvent } from 'react';
import type { ModeSettings, ModeStatus } from '../../../src/api/contract';
import { checkSocks5, normaliseHost, type Socks5Errors, type Socks5Fields } from './socks5';

interface Props {
  /** The proxy in force, if any (the core never gives the password back). */
  current: ModeStatus['socks5'];
  busy: boolean;
  onApply: (settings: ModeSettings) => void;
}

const FIELDS: (keyof Socks5Fields)[] = ['host', 'port', 'username', 'password'];

export function Socks5Form({ current, busy, onApply }: Props) {
  const id = useId();
  const [fields, setFields] = useState<Socks5Fields>({
    host: current?.host ?? '',
    port: current === undefined ? '' : String(current.port),
    username: current?.username ?? '',
    password: '',
  });
  const [errors, setErrors] = useState<Socks5Errors>({});
  const inputs = useRef<Partial<Record<keyof Socks5Fields, HTMLInputElement | null>>>({});

  function submit(event: SyntheticEvent): void {
    event.preventDefault();
    const found = checkSocks5(fields);
    setErrors(found);
    const first = FIELDS.find((f) => found[f] !== undefined);
    if (first !== undefined) {
      inputs.current[first]?.focus();
      return;
    }
    onApply({
      mode: 'socks5',
      socks5: {
        host: normaliseHost(fields.host),
        port: Number(fields.port.trim()),
        ...(fields.username === '' ? {} : { username: fields.username }),
        ...(fields.password === '' ? {} : { password: fields.password }),
      },
    });
  }

  function field(name: keyof Socks5Fields, label: string, extra: { type?: string; autoComplete?: string; inputMode?: 'numeric' | 'text'; hint?: string }) {
    const error = errors[name];
    const hintId = `${id}-${name}-hint`;
    const errorId = `${id}-${name}-error`;
    const described = [extra.hint === undefined ? undefined : hintId, error === undefined ? undefined : errorId].filter((x) => x !== undefined).join(' ');
    return (
      <div className="field">
        <label htmlFor={`${id}-${name}`}>{label}</label>
        <input
          id={`${id}-${name}`}
          ref={(el) => {
            inputs.current[name] = el;
          }}
          type={extra.type ?? 'text'}
          inputMode={extra.inputMode}
          autoComplete={extra.autoComplete ?? 'off'}
          spellCheck={false}
          value={fields[name]}
          aria-invalid={error !== undefined}
          aria-describedby={described === '' ? undefined : described}
          onChange={(e) => {
            setFields({ ...fields, [name]: e.target.value });
          }}
        />
        {extra.hint !== undefined && (
          <p id={hintId} className="field-hint">
            {extra.hint}
          </p>
        )}
        {error !== undefined && (
          <p id={errorId} className="field-error">
            {error}
          </p>
        )}
      </div>
    );
  }

  return (
    <form className="mode-settings" noValidate onSubmit={submit} aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>SOCKS5 proxy</h2>
      <div className="field-row">
        {field('host', 'Proxy IP address', {
          hint: 'An IP address, not a name: Cove never looks up the proxy’s name, so that no DNS query goes around the proxy.',
        })}
        {field('port', 'Port', { inputMode: 'numeric' })}
      </div>
      <div className="field-row">
        {field('username', 'User name (optional)', { autoComplete: 'username' })}
        {field('password', 'Password (optional)', {
          type: 'password',
          autoComplete: 'current-password',
          ...(current?.username === undefined ? {} : { hint: 'Cove does not show the saved password: enter it again to apply.' }),
        })}
      </div>
      <p className="field-hint">SOCKS5 itself is not encrypted: use a proxy on this computer or reach it through an encrypted tunnel (e.g. SSH) if your network should not see where you connect.</p>
      <button type="submit" className="button-primary" disabled={busy}>
        Apply
      </button>
    </form>
  );
}
