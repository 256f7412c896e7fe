/**
 * The VPN mode's settings: which tunnel interface. The kill switch is always on (the contract has no switch for it: VPN
 * mode fails closed like the proxy modes); this says what it does and whether it is holding connections now.
 */
import { useCallback, useEffect, useId, useState, type SyntheticEvent } from 'react';
import type { ModeSettings, ModeStatus, OpOutput } from '../../../src/api/contract';
import { call } from '../../app/api';
import { errorText } from './modes';

type VpnInterface = OpOutput<'vpnInterfaces'>[number];

interface Props {
  status: ModeStatus | undefined;
  busy: boolean;
  onApply: (settings: ModeSettings) => void;
}

export function VpnSettings({ status, busy, onApply }: Props) {
  const id = useId();
  const inForce = status?.mode === 'vpn' ? status.vpn : undefined;
  const [interfaces, setInterfaces] = useState<VpnInterface[] | undefined>();
  const [loadError, setLoadError] = useState<string | undefined>();
  const [chosen, setChosen] = useState<string>(inForce?.interface ?? '');

  const load = useCallback(async () => {
    setLoadError(undefined);
    try {
      const list = await call('vpnInterfaces', {});
      setInterfaces(list);
      setChosen((c) => (c !== '' && list.some((i) => i.name === c) ? c : (list.find((i) => i.up)?.name ?? list[0]?.name ?? '')));
    } catch (err) {
      setLoadError(errorText(err));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  const selected = interfaces?.find((i) => i.name === chosen);

  function submit(event: SyntheticEvent): void {
    event.preventDefault();
    if (chosen === '') return;
    onApply({ mode: 'vpn', vpn: { interface: chosen } });
  }

  return (
    <form className="mode-settings" onSubmit={submit} aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>VPN</h2>
      <p className="field-hint">Cove sends everything through your VPN’s tunnel interface. Start the VPN first (WireGuard, OpenVPN…): Cove uses the tunnel, it does not set it up.</p>
      {loadError !== undefined && (
        <p role="alert" className="error">
          {loadError}
        </p>
      )}
      {interfaces !== undefined && interfaces.length === 0 && <p className="field-hint">No tunnel interface found. Start your VPN, then look again.</p>}
      {interfaces !== undefined && interfaces.length > 0 && (
        <div className="field">
          <label htmlFor={`${id}-iface`}>Tunnel interface</label>
          <select
            id={`${id}-iface`}
            value={chosen}
            aria-describedby={`${id}-iface-state`}
            onChange={(e) => {
              setChosen(e.target.value);
            }}
          >
            {interfaces.map((i) => (
              <option key={i.name} value={i.name}>
                {i.name} — {i.up ? 'up' : 'down'}
              </option>
            ))}
          </select>
          {selected !== undefined && (
            <p id={`${id}-iface-state`} className={selected.up && selected.problem === undefined ? 'field-hint' : 'field-error'}>
              {selected.up ? `${selected.name} is up.` : `${selected.name} is down.`}
              {selected.problem !== undefined && ` ${selected.problem}`}
            </p>
          )}
        </div>
      )}
      <button
        type="button"
        className="button-quiet"
        onClick={() => {
          void load();
        }}
      >
        Look for interfaces again
      </button>
      <p className="field-hint">
        <strong>Kill switch: always on.</strong> When the tunnel goes down, Cove holds its connections and sends nothing until the tunnel is back, rather than let anything leave by your
        normal network.
      </p>
      {inForce !== undefined && (
        <p role="status" className={inForce.holding ? 'kill-state kill-holding' : 'kill-state'}>
          {killSwitchState(inForce)}
        </p>
      )}
      <button type="submit" className="button-primary" disabled={busy || chosen === ''}>
        Apply
      </button>
    </form>
  );
}

function killSwitchState(vpn: NonNullable<ModeStatus['vpn']>): string {
  return vpn.holding ? `Kill switch: holding connections. ${vpn.interface} is down: nothing goes out until it is back.` : `Kill switch: standing by, ${vpn.interface} is in use.`;
}
