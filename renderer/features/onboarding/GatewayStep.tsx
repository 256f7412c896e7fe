import { useEffect, useId, useState, type Dispatch, type RefObject, type SetStateAction } from 'react';
import type { Endpoint, Gateways } from '../../../src/api/contract';
import { call } from '../../app/api';
import { errorText } from './errors';
import { domainProblem, endpointFor, healthText, hostProblem, kindsText, offeredGateways, parsePort, type GatewayView } from './validate';

export type GatewayChoice = { kind: 'directory'; domain: string } | { kind: 'own' };
export interface GatewayDraft {
  choice: GatewayChoice | null;
  own: { domain: string; host: string; port: string };
}
export interface ChosenGateway {
  domain: string;
  endpoints: Endpoint[];
}
export const EMPTY_GATEWAY_DRAFT: GatewayDraft = { choice: null, own: { domain: '', host: '', port: '5222' } };

interface Props {
  draft: GatewayDraft;
  setDraft: Dispatch<SetStateAction<GatewayDraft>>;
  directory: Gateways | null;
  setDirectory: (g: Gateways) => void;
  headingRef: RefObject<HTMLHeadingElement | null>;
  onNext: (chosen: ChosenGateway) => void;
}

/** Step 2: a gateway from the signed directory (a random healthy one suggested), or the user's own server. */
export function GatewayStep({ draft, setDraft, directory, setDirectory, headingRef, onNext }: Props) {
  const [loading, setLoading] = useState<'idle' | 'loading' | 'refreshing'>(directory === null ? 'loading' : 'idle');
  const [error, setError] = useState<string | null>(null);
  const [tried, setTried] = useState(false);
  const id = useId();

  /** Shows a directory; pre-selects the suggested gateway (or the own-server form when none is offered) unless the user chose. */
  const adopt = (g: Gateways) => {
    setDirectory(g);
    const offered = offeredGateways(g);
    const suggested = offered.find((x) => x.domain === g.suggested);
    const pick: GatewayChoice | null = suggested !== undefined ? { kind: 'directory', domain: suggested.domain } : offered.length === 0 ? { kind: 'own' } : null;
    setDraft((d) => (d.choice === null ? { ...d, choice: pick } : d));
  };

  useEffect(() => {
    if (directory !== null) return;
    let live = true;
    call('gateways', {})
      .then((g) => {
        if (live) adopt(g);
      })
      .catch((err: unknown) => {
        if (live) setError(errorText(err));
      })
      .finally(() => {
        if (live) setLoading('idle');
      });
    return () => {
      live = false;
    };
    // Once, when the step opens without a directory.
  }, []);

  const refresh = async () => {
    if (loading !== 'idle') return;
    setLoading('refreshing');
    setError(null);
    try {
      adopt(await call('gatewaysRefresh', {}));
    } catch (err) {
      setError(errorText(err));
    } finally {
      setLoading('idle');
    }
  };

  const offered = directory === null ? [] : offeredGateways(directory);
  const own = draft.own;
  const ownDomainError = domainProblem(own.domain.trim());
  const ownHostError = hostProblem(own.host.trim());
  const port = parsePort(own.port);
  const ownPortError = typeof port === 'string' ? port : null;

  const next = () => {
    setTried(true);
    const choice = draft.choice;
    if (choice === null) return;
    if (choice.kind === 'directory') {
      const g = offered.find((x) => x.domain === choice.domain);
      if (g === undefined) setDraft((d) => ({ ...d, choice: null })); // no longer offered after a refresh
      else onNext({ domain: g.domain, endpoints: g.endpoints });
      return;
    }
    if (ownDomainError !== null || ownHostError !== null || typeof port === 'string') return;
    const domain = own.domain.trim().toLowerCase();
    const host = own.host.trim() === '' ? domain : own.host.trim();
    onNext({ domain, endpoints: [endpointFor(host, port)] });
  };

  const setOwn = (patch: Partial<GatewayDraft['own']>) => { setDraft({ ...draft, own: { ...own, ...patch } }); };
  const select = (choice: GatewayChoice) => { setDraft({ ...draft, choice }); };
  const isSelected = (g: GatewayView) => draft.choice?.kind === 'directory' && draft.choice.domain === g.domain;

  return (
    <form
      className="onboarding-step"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        next();
      }}
    >
      <h2 ref={headingRef} tabIndex={-1}>
        Choose a gateway
      </h2>
      <p>A gateway is the server that carries your messages. Anyone on any gateway can talk to you.</p>
      {loading === 'loading' && (
        <p role="status" className="muted">
          Loading the gateway directory…
        </p>
      )}
      {directory?.problem !== undefined && <p className="notice notice-warn">{directory.problem}</p>}
      {error !== null && (
        <p role="alert" className="notice notice-danger">
          {error}
        </p>
      )}
      <fieldset className="stack gateway-list">
        <legend>Gateways</legend>
        {offered.map((g) => {
          const health = healthText(g.health);
          return (
            <label key={g.domain} className={isSelected(g) ? 'choice choice-selected' : 'choice'}>
              <input
                type="radio"
                name="gateway"
                value={g.domain}
                checked={isSelected(g)}
                aria-labelledby={`${id}-${g.domain}`}
                aria-describedby={`${id}-${g.domain}-about`}
                onChange={() => { select({ kind: 'directory', domain: g.domain }); }}
              />
              <span className="row">
                <strong id={`${id}-${g.domain}`}>{g.domain}</strong>
                {g.domain === directory?.suggested && <span className="badge">Suggested</span>}
              </span>
              <span id={`${id}-${g.domain}-about`} className="small muted gateway-about">
                <span>Run by {g.operator}</span>
                <span className="gateway-health">
                  <span className={`dot ${health.dot}`} aria-hidden="true" /> {health.text}
                </span>
                <span>{kindsText(g.endpoints)}</span>
                {g.domain === directory?.suggested && <span className="gateway-why">Picked at random among healthy gateways so people spread across servers.</span>}
              </span>
            </label>
          );
        })}
        <label className={draft.choice?.kind === 'own' ? 'choice choice-selected' : 'choice'}>
          <input type="radio" name="gateway" value="" checked={draft.choice?.kind === 'own'} aria-labelledby={`${id}-own`} aria-describedby={`${id}-own-about`} onChange={() => { select({ kind: 'own' }); }} />
          <strong id={`${id}-own`}>Use my own server</strong>
          <span id={`${id}-own-about`} className="small muted">An XMPP server you or someone you trust runs.</span>
        </label>
      </fieldset>
      {directory !== null && (
        <p className="small">
          <button type="button" className="button button-quiet button-small" aria-disabled={loading !== 'idle'} onClick={() => void refresh()}>
            {loading === 'refreshing' ? 'Refreshing the directory…' : 'Refresh the list'}
          </button>
        </p>
      )}
      {draft.choice?.kind === 'own' && (
        <div className="own-server">
          <OwnField id={`${id}-domain`} label="Domain" hint="The part after @ in addresses, for example example.org." value={own.domain} error={tried ? ownDomainError : null} onChange={(v) => { setOwn({ domain: v }); }} />
          <OwnField id={`${id}-host`} label="Server address" hint="Where to connect: a name, an .onion address or an IP address. Leave empty to use the domain." value={own.host} error={tried ? ownHostError : null} onChange={(v) => { setOwn({ host: v }); }} />
          <OwnField id={`${id}-port`} label="Port" hint="Usually 5222." value={own.port} error={tried ? ownPortError : null} inputMode="numeric" onChange={(v) => { setOwn({ port: v }); }} />
        </div>
      )}
      {tried && draft.choice === null && (
        <p role="alert" className="field-error">
          Choose a gateway or your own server.
        </p>
      )}
      <div className="onboarding-actions">
        <button type="submit" className="button button-primary">
          Continue
        </button>
      </div>
    </form>
  );
}

function OwnField(p: { id: string; label: string; hint: string; value: string; error: string | null; inputMode?: 'numeric'; onChange: (v: string) => void }) {
  return (
    <div className="field">
      <label htmlFor={p.id}>{p.label}</label>
      <input
        id={p.id}
        type="text"
        spellCheck={false}
        autoCapitalize="off"
        value={p.value}
        {...(p.inputMode === undefined ? {} : { inputMode: p.inputMode })}
        aria-invalid={p.error !== null}
        aria-describedby={`${p.id}-hint${p.error === null ? '' : ` ${p.id}-error`}`}
        onChange={(e) => { p.onChange(e.target.value); }}
      />
      <p id={`${p.id}-hint`} className="field-hint">
        {p.hint}
      </p>
      {p.error !== null && (
        <p id={`${p.id}-error`} className="field-error">
          {p.error}
        </p>
      )}
    </div>
  );
}
