import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { Connections } from '../../../src/api/contract';
import { coveError, installFakeCove, type FakeHandlers } from '../../test-utils/fake-cove';
import { modeStatus } from '../../test-utils/privacy-fixtures';
import { ConnectionsScreen } from './ConnectionsScreen';

const opened = Date.UTC(2025, 0, 2, 3, 4, 5);

const TOR: Connections = {
  connections: [
    { id: 'c1', purpose: 'xmpp', account: 'Account 1', mode: 'tor', target: 'chat.example.net:5222', hops: [{ kind: 'tor', host: '127.0.0.1', port: 9050 }], openedAt: opened, bytesIn: 2048, bytesOut: 512 },
    { id: 'c2', purpose: 'xmpp', account: 'Account 2', mode: 'tor', target: 'abcdefghijklmnopabcdefghijklmnopabcdefghijklmnopabcdefgh.onion:5222', hops: [{ kind: 'tor', host: '127.0.0.1', port: 9050 }], openedAt: opened, bytesIn: 3 * 1024 * 1024, bytesOut: 10 },
  ],
  circuits: [
    {
      id: '17',
      status: 'BUILT',
      purpose: 'GENERAL',
      path: [
        { nickname: 'GuardRelay', fingerprint: 'A'.repeat(40) },
        { nickname: 'MiddleRelay', fingerprint: 'B'.repeat(40) },
        { nickname: '', fingerprint: 'C0FFEE00'.repeat(5) },
      ],
    },
  ],
};

function setup(handlers: FakeHandlers) {
  const cove = installFakeCove(handlers);
  render(<ConnectionsScreen />);
  return { cove, user: userEvent.setup() };
}

function rows(tableName: string): string[][] {
  const table = screen.getByRole('table', { name: tableName });
  return within(table)
    .getAllByRole('row')
    .slice(1)
    .map((r) => [...r.querySelectorAll('th, td')].map((c) => c.textContent));
}

describe('ConnectionsScreen', () => {
  it('lists every connection with purpose, account label, mode, path, target and bytes, and the Tor circuits', async () => {
    setup({ connections: () => TOR, modeGet: () => modeStatus('tor') });
    await screen.findByRole('table', { name: 'Open connections' });
    const live = rows('Open connections');
    expect(live.map((r) => [r[0], r[1], r[2], r[3], r[4], r[6], r[7]])).toEqual([
      ['Messages (XMPP)', 'Account 1', 'Tor', 'Tor → exit', 'chat.example.net:5222', '2.0 KB', '512 B'],
      ['Messages (XMPP)', 'Account 2', 'Tor', 'Tor → onion service', TOR.connections[1]?.target, '3.0 MB', '10 B'],
    ]);
    expect(screen.getAllByRole('row')[1]?.querySelector('time')?.getAttribute('dateTime')).toBe(new Date(opened).toISOString());
    expect(rows('Tor circuits')).toEqual([['17', 'BUILT', 'GuardRelay → MiddleRelay → C0FFEE00', 'GENERAL']]);
  });

  it('shows the SOCKS5 proxy, the VPN tunnel and direct paths, and follows "connections" events', async () => {
    let data: Connections = { connections: [], circuits: [] };
    const { cove } = setup({ connections: () => data, modeGet: () => modeStatus('socks5') });
    expect(await screen.findByText(/^No connections are open\./)).toBeDefined();
    expect(screen.getByText('Tor circuits are listed here in Tor mode.')).toBeDefined();
    const base = { purpose: 'directory', account: null, mode: 'socks5', target: 'dir.example.org:443', openedAt: opened, bytesIn: 0, bytesOut: 0 } as const;
    data = {
      connections: [
        { ...base, id: 'c5', hops: [{ kind: 'proxy', host: '127.0.0.1', port: 1080 }] },
        { ...base, id: 'c6', purpose: 'xmpp', account: 'Account 1', mode: 'vpn', hops: [{ kind: 'tunnel', host: 'wg0', port: 0 }] },
        { ...base, id: 'c7', purpose: 'leak-check', mode: 'direct', hops: [{ kind: 'direct', host: 'dir.example.org', port: 443 }] },
      ],
      circuits: [],
    };
    act(() => {
      cove.emit({ type: 'connections' });
    });
    await screen.findByRole('table', { name: 'Open connections' });
    expect(rows('Open connections').map((r) => [r[0], r[1], r[2], r[3]])).toEqual([
      ['Gateway directory', 'No account', 'SOCKS5', 'SOCKS5 proxy 127.0.0.1:1080'],
      ['Messages (XMPP)', 'Account 1', 'VPN', 'VPN tunnel wg0'],
      ['Leak check', 'No account', 'Direct', 'direct'],
    ]);
  });

  it('polls while shown, for byte counts that move without events', async () => {
    const { cove } = setup({ connections: () => TOR, modeGet: () => modeStatus('tor') });
    await screen.findByRole('table', { name: 'Open connections' });
    const first = cove.callsTo('connections').length;
    await waitFor(
      () => {
        expect(cove.callsTo('connections').length).toBeGreaterThan(first);
      },
      { timeout: 4000 },
    );
  });

  it('"New identity" works only in Tor mode, calls torNewIdentity and confirms', async () => {
    const { cove, user } = setup({ connections: () => TOR, modeGet: () => modeStatus('direct'), torNewIdentity: () => ({}) });
    await screen.findByRole('table', { name: 'Open connections' });
    const button = screen.getByRole('button', { name: 'New identity' });
    await waitFor(() => {
      expect(screen.getByText('Available in Tor mode, once Tor is ready.')).toBeDefined();
    });
    expect(button).toHaveProperty('disabled', true);
    act(() => {
      cove.emit({ type: 'mode', status: modeStatus('tor') });
    });
    expect(button).toHaveProperty('disabled', false);
    await user.click(button);
    expect(cove.callsTo('torNewIdentity')).toEqual([{}]);
    expect(await screen.findByText('Done: new connections use new Tor circuits.')).toBeDefined();
  });

  it('shows the core’s sentence when Tor refuses a new identity or the list cannot be read', async () => {
    const { user } = setup({
      connections: () => {
        throw coveError('profile-locked', 'Open your profile first.');
      },
      modeGet: () => modeStatus('tor'),
      torNewIdentity: () => {
        throw coveError('tor-rate-limited', 'Tor gives a new identity at most every 10 seconds.');
      },
    });
    expect((await screen.findByRole('alert')).textContent).toBe('Open your profile first.');
    await waitFor(() => {
      expect(screen.getByRole('button', { name: 'New identity' })).toHaveProperty('disabled', false);
    });
    await user.click(screen.getByRole('button', { name: 'New identity' }));
    await waitFor(() => {
      expect(screen.getAllByRole('alert').map((a) => a.textContent)).toContain('Tor gives a new identity at most every 10 seconds.');
    });
  });
});
