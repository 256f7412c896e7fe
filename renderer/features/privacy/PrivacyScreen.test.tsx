import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ModeSettings } from '../../../src/api/contract';
import { WHO_SEES_WHAT, type PrivacyModeId } from '../../../src/net/who-sees-what';
import { coveError, installFakeCove, type FakeHandlers } from '../../test-utils/fake-cove';
import { MODEL, modeStatus, partyLabel, torStatus } from '../../test-utils/privacy-fixtures';
import { PrivacyScreen } from './PrivacyScreen';
import { resetPrivacy } from './store';

function setup(handlers: FakeHandlers = {}) {
  const cove = installFakeCove({
    modeGet: () => modeStatus('direct'),
    torStatus: () => torStatus({ state: 'off', progress: 0, summary: '' }),
    whoSeesWhat: () => MODEL,
    leakCheck: () => ({ supported: true, ok: true, checked: 0, leaks: [] }),
    ...handlers,
  });
  render(<PrivacyScreen />);
  return { cove, user: userEvent.setup() };
}

/** Written against the data itself: parties taking part in `mode` whose knowledge of the IP address is `knows`. */
function expected(mode: PrivacyModeId, knows: 'yes' | 'no'): string[] {
  const m = WHO_SEES_WHAT.modes.find((x) => x.mode === mode);
  if (m === undefined) throw new Error(mode);
  return m.parties.filter((p) => p.involved && p.sees.some((s) => s.fact === 'ip-address' && s.knows === knows)).map((p) => partyLabel(p.party));
}

function partiesIn(region: HTMLElement, listName: RegExp): string[] {
  // The first match is the mode's own list (Tor's card has the .onion variant's after it).
  const [list] = within(region).getAllByRole('list', { name: listName });
  if (list === undefined) throw new Error(`no list ${String(listName)}`);
  return within(list)
    .getAllByRole('listitem')
    .map((li) => li.querySelector('.ip-party')?.textContent ?? '');
}

beforeEach(() => {
  resetPrivacy();
});

describe('PrivacyScreen: the four modes and who sees what', () => {
  it('offers the four modes as one radio group, the one in force checked and marked in use', async () => {
    setup({ modeGet: () => modeStatus('vpn', { vpn: { interface: 'wg0', holding: false } }), vpnInterfaces: () => [] });
    const group = screen.getByRole('radiogroup', { name: 'How Cove connects' });
    const radios = within(group).getAllByRole('radio');
    expect(radios.map((r) => r.querySelector('.mode-card-name')?.textContent)).toEqual(['Direct', 'SOCKS5', 'VPN', 'Tor']);
    await waitFor(() => {
      expect(within(group).getByRole('radio', { checked: true })).toHaveProperty('textContent', expect.stringContaining('VPN'));
    });
    expect(within(group).getByRole('radio', { name: /VPN In use/ })).toBeDefined();
  });

  it.each(['direct', 'socks5', 'vpn', 'tor'] as const)('the %s card says who knows the IP address and who does not, from the model', async (mode) => {
    const { user } = setup();
    const names = { direct: 'Direct', socks5: 'SOCKS5', vpn: 'VPN', tor: 'Tor' };
    await user.click(await screen.findByRole('radio', { name: new RegExp(`^${names[mode]}`) }));
    const card = await screen.findByRole('region', { name: `${names[mode]}: who sees what` });
    expect(partiesIn(card, /^Your IP address is known to/)).toEqual(expected(mode, 'yes'));
    expect(partiesIn(card, /^Hidden from/)).toEqual(expected(mode, 'no'));
    const speed = WHO_SEES_WHAT.modes.find((m) => m.mode === mode)?.tradeOffs.find((t) => t.aspect === 'speed');
    expect(within(card).getByRole('list', { name: 'What it costs' }).textContent).toContain(speed?.words);
  });

  it('names the parties the seed text promises: the gateway sees you directly, not through a proxy, VPN or Tor', async () => {
    const { user } = setup();
    const gateway = 'Your XMPP server’s operator';
    const known = async (name: RegExp, heading: string) => {
      await user.click(screen.getByRole('radio', { name }));
      return partiesIn(await screen.findByRole('region', { name: heading }), /^Your IP address is known to/);
    };
    expect(await known(/^Direct/, 'Direct: who sees what')).toContain(gateway);
    expect(await known(/^SOCKS5/, 'SOCKS5: who sees what')).toEqual(['Your ISP or local network', 'The SOCKS5 proxy’s operator']);
    expect(await known(/^VPN/, 'VPN: who sees what')).toEqual(['Your ISP or local network', 'The VPN provider']);
    expect(await known(/^Tor/, 'Tor: who sees what')).toEqual(['Your ISP or local network', 'Tor guard (entry) relay']);
  });

  it('shows the other facts in a table (messages never readable) and Tor’s ".onion gateway" variant', async () => {
    setup({ modeGet: () => modeStatus('tor') });
    const card = await screen.findByRole('region', { name: 'Tor: who sees what' });
    const table = within(card).getByRole('table', { name: 'What else each party learns in Tor mode' });
    const header = within(table).getAllByRole('columnheader').map((h) => h.textContent);
    expect(header).toEqual(['Who', ...WHO_SEES_WHAT.facts.filter((f) => f.id !== 'ip-address').map((f) => f.label)]);
    const guard = within(table).getByRole('row', { name: /^Tor guard/ });
    expect(within(guard).getAllByRole('cell').map((c) => c.textContent)).toEqual(['No', 'No', 'No', 'No', 'Yes']);
    const onion = within(card).getByRole('region', { name: 'With an .onion gateway' });
    expect(partiesIn(onion, /^Your IP address is known to/)).toEqual(expected('tor-onion', 'yes'));
    expect(partiesIn(onion, /^Hidden from/)).toContain('Your XMPP server’s operator');
    expect(onion.textContent).toContain('Slowest: six relays');
  });

  it('moves and selects with the arrow keys, Home/End and Space, Tab landing on the checked card', async () => {
    const { user } = setup();
    await waitFor(() => {
      expect(screen.getByRole('radio', { name: /^Direct/, checked: true })).toBeDefined();
    });
    await user.tab();
    expect(document.activeElement).toBe(screen.getByRole('radio', { name: /^Direct/ }));
    await user.keyboard('{ArrowRight}');
    expect(screen.getByRole('radio', { name: /^SOCKS5/ })).toHaveProperty('ariaChecked', 'true');
    expect(document.activeElement).toBe(screen.getByRole('radio', { name: /^SOCKS5/ }));
    expect(screen.getByRole('region', { name: 'SOCKS5: who sees what' })).toBeDefined();
    await user.keyboard('{ArrowLeft}{ArrowLeft}');
    expect(screen.getByRole('radio', { name: /^Tor/ })).toHaveProperty('ariaChecked', 'true');
    await user.keyboard('{Home}');
    expect(screen.getByRole('radio', { name: /^Direct/ })).toHaveProperty('ariaChecked', 'true');
    act(() => {
      screen.getByRole('radio', { name: /^VPN/ }).focus();
    });
    await user.keyboard(' ');
    expect(screen.getByRole('radio', { name: /^VPN/ })).toHaveProperty('ariaChecked', 'true');
    expect(screen.getAllByRole('radio', { checked: true })).toHaveLength(1);
    expect(screen.getAllByRole('radio').filter((r) => r.tabIndex === 0)).toEqual([screen.getByRole('radio', { name: /^VPN/ })]);
  });
});

describe('PrivacyScreen: applying a mode', () => {
  it('applies Direct: "Switching…" while the core works, then the mode in use', async () => {
    let finish: (() => void) | undefined;
    const { cove, user } = setup({
      modeGet: () => modeStatus('tor'),
      modeSet: (s: ModeSettings) =>
        new Promise((resolve) => {
          finish = () => {
            resolve(modeStatus(s.mode));
          };
        }),
    });
    await user.click(await screen.findByRole('radio', { name: /^Direct/ }));
    await user.click(screen.getByRole('button', { name: 'Apply' }));
    expect(cove.callsTo('modeSet')).toEqual([{ mode: 'direct' }]);
    expect(screen.getByText(/^Switching to a direct connection…/)).toBeDefined();
    expect(screen.getByRole('button', { name: 'Apply' })).toHaveProperty('disabled', true);
    act(() => {
      finish?.();
    });
    await screen.findByText('In use: Direct.');
    expect(screen.getByRole('radio', { name: /^Direct In use/ })).toBeDefined();
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('follows a switch the core reports by event (another window, the tray)', async () => {
    const { cove } = setup({ modeGet: () => modeStatus('direct') });
    await screen.findByText('In use: Direct.');
    act(() => {
      cove.emit({ type: 'mode', status: { mode: 'direct', phase: 'switching', to: 'tor' } });
    });
    expect(screen.getByText('Switching to Tor… Nothing is sent until the switch is done.')).toBeDefined();
    expect(screen.getByRole('button', { name: 'Apply' })).toHaveProperty('disabled', true);
    act(() => {
      cove.emit({ type: 'mode', status: { mode: 'tor', phase: 'ready' } });
    });
    expect(screen.getByText('In use: Tor.')).toBeDefined();
    expect(screen.getByRole('radio', { name: /^Tor In use/ })).toBeDefined();
  });

  it('shows the core’s sentence when a switch fails, and that nothing is sent until it is fixed', async () => {
    const { cove, user } = setup({
      modeSet: () => {
        throw coveError('socks5-unreachable', 'The SOCKS5 proxy did not answer.');
      },
    });
    await user.click(await screen.findByRole('radio', { name: /^SOCKS5/ }));
    await user.type(screen.getByLabelText('Proxy IP address'), '127.0.0.1');
    await user.type(screen.getByLabelText('Port'), '1080');
    await user.click(screen.getByRole('button', { name: 'Apply' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Switching to your SOCKS5 proxy failed.');
    expect(alert.textContent).toContain('The SOCKS5 proxy did not answer.');
    expect(alert.textContent).toContain('Nothing is sent until this is fixed');
    expect(cove.callsTo('modeSet')).toHaveLength(1);
  });

  it('shows a failure the core reports in the mode status (an event), too', async () => {
    const { cove } = setup();
    await screen.findByText('In use: Direct.');
    act(() => {
      cove.emit({ type: 'mode', status: { mode: 'direct', phase: 'failed', to: 'tor', error: { code: 'tor-failed', message: 'Tor could not start: its data directory is locked.' } } });
    });
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('Switching to Tor failed. Tor could not start: its data directory is locked.');
    expect(alert.textContent).toContain('Nothing is sent until this is fixed');
  });
});
