import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ModeSettings } from '../../../src/api/contract';
import { coveError, installFakeCove, type FakeHandlers } from '../../test-utils/fake-cove';
import { MODEL, modeStatus, torStatus } from '../../test-utils/privacy-fixtures';
import { PrivacyScreen } from './PrivacyScreen';
import { NOT_AN_IP } from './socks5';
import { resetPrivacy } from './store';

function setup(handlers: FakeHandlers = {}) {
  const cove = installFakeCove({
    modeGet: () => modeStatus('direct'),
    torStatus: () => torStatus({ state: 'off', progress: 0, summary: '' }),
    whoSeesWhat: () => MODEL,
    modeSet: (s: ModeSettings) => modeStatus(s.mode),
    ...handlers,
  });
  render(<PrivacyScreen />);
  return { cove, user: userEvent.setup() };
}

beforeEach(() => {
  resetPrivacy();
});

describe('SOCKS5 settings', () => {
  it('refuses a host name and a bad port with errors at the fields, then sends a valid proxy', async () => {
    const { cove, user } = setup();
    await user.click(await screen.findByRole('radio', { name: /^SOCKS5/ }));
    const host = screen.getByLabelText('Proxy IP address');
    const port = screen.getByLabelText('Port');
    await user.type(host, 'proxy.example.org');
    await user.type(port, '1080');
    await user.click(screen.getByRole('button', { name: 'Apply' }));
    expect(host.getAttribute('aria-invalid')).toBe('true');
    const describedBy = (host.getAttribute('aria-describedby') ?? '').split(' ');
    expect(describedBy.map((id) => document.getElementById(id)?.textContent)).toContain(NOT_AN_IP);
    expect(document.activeElement).toBe(host);
    expect(cove.callsTo('modeSet')).toEqual([]);

    await user.clear(host);
    await user.type(host, '127.0.0.1');
    await user.clear(port);
    await user.type(port, '70000');
    await user.click(screen.getByRole('button', { name: 'Apply' }));
    expect(host.getAttribute('aria-invalid')).toBe('false');
    expect(port.getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText('The port is a number from 1 to 65535.')).toBeDefined();
    expect(cove.callsTo('modeSet')).toEqual([]);

    await user.clear(port);
    await user.type(port, '1080');
    await user.type(screen.getByLabelText('User name (optional)'), 'cove');
    await user.type(screen.getByLabelText('Password (optional)'), 'secret words');
    await user.click(screen.getByRole('button', { name: 'Apply' }));
    expect(cove.callsTo('modeSet')).toEqual([{ mode: 'socks5', socks5: { host: '127.0.0.1', port: 1080, username: 'cove', password: 'secret words' } }]);
    await screen.findByText('In use: SOCKS5.');
  });

  it('takes an IPv6 literal in brackets, and a password needs its user name', async () => {
    const { cove, user } = setup();
    await user.click(await screen.findByRole('radio', { name: /^SOCKS5/ }));
    await user.type(screen.getByLabelText('Proxy IP address'), '[[::1]'); // '[[' types one '['
    await user.type(screen.getByLabelText('Port'), '9050');
    await user.type(screen.getByLabelText('Password (optional)'), 'pw');
    await user.click(screen.getByRole('button', { name: 'Apply' }));
    expect(screen.getByText('Enter the user name that goes with the password.')).toBeDefined();
    expect(cove.callsTo('modeSet')).toEqual([]);
    await user.clear(screen.getByLabelText('Password (optional)'));
    await user.click(screen.getByRole('button', { name: 'Apply' }));
    expect(cove.callsTo('modeSet')).toEqual([{ mode: 'socks5', socks5: { host: '::1', port: 9050 } }]);
  });
});

describe('VPN settings', () => {
  it('lists the tunnel interfaces with their state and problem, and applies the chosen one', async () => {
    const { cove, user } = setup({
      vpnInterfaces: () => [
        { name: 'wg0', up: true, addresses: ['10.8.0.2'] },
        { name: 'tun0', up: false, addresses: [], problem: 'It has no address yet.' },
      ],
    });
    await user.click(await screen.findByRole('radio', { name: /^VPN/ }));
    const select = await screen.findByLabelText('Tunnel interface');
    expect(within(select).getAllByRole('option').map((o) => o.textContent)).toEqual(['wg0 — up', 'tun0 — down']);
    expect(screen.getByText('wg0 is up.')).toBeDefined();
    await user.selectOptions(select, 'tun0');
    expect(screen.getByText('tun0 is down. It has no address yet.')).toBeDefined();
    expect(screen.getByText('Kill switch: always on.')).toBeDefined();
    await user.click(screen.getByRole('button', { name: 'Apply' }));
    expect(cove.callsTo('modeSet')).toEqual([{ mode: 'vpn', vpn: { interface: 'tun0' } }]);
  });

  it('says when the kill switch is holding connections', async () => {
    const { cove } = setup({
      modeGet: () => modeStatus('vpn', { vpn: { interface: 'wg0', holding: false } }),
      vpnInterfaces: () => [{ name: 'wg0', up: true, addresses: [] }],
    });
    expect(await screen.findByText('Kill switch: standing by, wg0 is in use.')).toBeDefined();
    act(() => {
      cove.emit({ type: 'mode', status: modeStatus('vpn', { vpn: { interface: 'wg0', holding: true } }) });
    });
    expect(screen.getByText(/^Kill switch: holding connections\. wg0 is down/)).toBeDefined();
  });
});

describe('Tor settings', () => {
  it('follows the bootstrap with a real progress bar up to 100 %', async () => {
    const { cove } = setup({ modeGet: () => modeStatus('tor'), torStatus: () => torStatus({ progress: 5, summary: 'Connecting to a relay' }) });
    const bar = await screen.findByRole('progressbar', { name: 'Connecting to Tor' });
    await waitFor(() => {
      expect(bar.getAttribute('aria-valuenow')).toBe('5');
    });
    expect(screen.getByText('Connecting to a relay')).toBeDefined();
    for (const progress of [25, 75]) {
      act(() => {
        cove.emit({ type: 'tor', status: torStatus({ progress, summary: `Step ${progress}` }) });
      });
      expect(screen.getByRole('progressbar').getAttribute('aria-valuenow')).toBe(String(progress));
      expect(screen.getByText(`Step ${progress}`)).toBeDefined();
    }
    act(() => {
      cove.emit({ type: 'tor', status: torStatus({ state: 'ready', progress: 100, summary: 'Done' }) });
    });
    expect(screen.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('100');
    expect(screen.getByText('Connected to the Tor network.')).toBeDefined();
  });

  it('shows Connection Assist’s suggestion, and its "Set up bridges" opens the bridges', async () => {
    const { cove, user } = setup({ modeGet: () => modeStatus('tor'), torStatus: () => torStatus({ progress: 10 }) });
    await screen.findByRole('progressbar');
    expect(screen.queryByText(/Connection Assist/)).toBeNull();
    act(() => {
      cove.emit({ type: 'tor', status: torStatus({ progress: 10, assist: { suggestion: 'use-bridges', reason: 'stalled' } }) });
    });
    const assist = screen.getByText('Connection Assist:').closest('.assist');
    expect(assist?.textContent).toContain('Tor may be blocked on this network. Try a bridge (obfs4 or snowflake).');
    expect(assist?.textContent).toContain('Tor’s reason: stalled.');
    expect(screen.getByRole('checkbox', { name: 'Use bridges' })).toHaveProperty('checked', false);
    await user.click(screen.getByRole('button', { name: 'Set up bridges' }));
    expect(screen.getByRole('checkbox', { name: 'Use bridges' })).toHaveProperty('checked', true);
    expect(document.activeElement).toBe(screen.getByLabelText('Bridge lines, one a line'));
  });

  it('saves bridge lines through torSetBridges, and shows the core’s refusal', async () => {
    const line = 'obfs4 192.0.2.7:443 0123456789ABCDEF0123456789ABCDEF01234567 cert=AAAA iat-mode=0';
    let refuse = false;
    const { cove, user } = setup({
      modeGet: () => modeStatus('tor'),
      torStatus: () => torStatus(),
      torSetBridges: (b) => {
        if (refuse) throw coveError('bridge-line-invalid', '"192.0.2" is not an IP:port address');
        return torStatus({ bridges: { enabled: b.enabled, lines: b.lines } });
      },
    });
    await screen.findByRole('progressbar');
    await user.click(screen.getByRole('checkbox', { name: 'Use bridges' }));
    await user.click(screen.getByRole('button', { name: 'Save bridges' }));
    expect(screen.getByRole('alert').textContent).toBe('Add at least one bridge line, or turn bridges off.');
    expect(cove.callsTo('torSetBridges')).toEqual([]);
    await user.type(screen.getByLabelText('Bridge lines, one a line'), `  ${line}  {Enter}{Enter}`);
    await user.click(screen.getByRole('button', { name: 'Save bridges' }));
    expect(cove.callsTo('torSetBridges')).toEqual([{ enabled: true, lines: [line] }]);
    expect(await screen.findByText('Bridges saved: Tor uses 1 bridge.')).toBeDefined();
    refuse = true;
    await user.click(screen.getByRole('button', { name: 'Save bridges' }));
    expect((await screen.findByRole('alert')).textContent).toBe('"192.0.2" is not an IP:port address');
  });

  it('shows which tor runs and warns when it is outdated', async () => {
    setup({ modeGet: () => modeStatus('tor'), torStatus: () => torStatus({ version: '0.4.5.1', outdated: true }) });
    expect(await screen.findByText(/^Tor 0\.4\.5\.1\./)).toBeDefined();
    expect(screen.getByText(/older than the version Cove requires/)).toBeDefined();
  });
});

describe('Leak check', () => {
  it('shows no leaks, a list of leaks, or that the system is not supported', async () => {
    const answers = [
      { supported: true, ok: true, checked: 4, leaks: [] },
      { supported: true, ok: false, checked: 5, leaks: ['udp 0.0.0.0:5353 unconnected', 'tcp 127.0.0.53:53 (not the hop)'] },
      { supported: false, ok: false, checked: 0, leaks: [], note: 'On macOS it would use lsof.' },
    ];
    const { cove, user } = setup({ leakCheck: () => answers[cove.callsTo('leakCheck').length - 1] ?? { supported: true, ok: true, checked: 0, leaks: [] } });
    const button = await screen.findByRole('button', { name: 'Check for leaks' });
    await user.click(button);
    expect((await screen.findByText(/^No leaks/)).textContent).toBe('No leaks: 4 network sockets checked, none goes around the privacy mode.');
    await user.click(button);
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('2 leaks found among 5 network sockets');
    expect(within(alert).getAllByRole('listitem').map((li) => li.textContent)).toEqual(answers[1]?.leaks);
    await user.click(button);
    expect((await screen.findByText(/not supported/)).textContent).toBe('The leak check is not supported on this system yet. On macOS it would use lsof.');
  });
});
