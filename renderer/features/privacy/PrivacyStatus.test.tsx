import { act, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import { useNav } from '../../app/nav';
import { installFakeCove } from '../../test-utils/fake-cove';
import { modeStatus, torStatus } from '../../test-utils/privacy-fixtures';
import { PrivacyStatus } from './PrivacyStatus';
import { resetPrivacy } from './store';

beforeEach(() => {
  resetPrivacy();
  useNav.setState({ screen: 'chats' });
});

describe('PrivacyStatus (sidebar)', () => {
  it('in Tor mode shows a small bar until Tor is ready, then "Tor ready", live from events', async () => {
    const cove = installFakeCove({ modeGet: () => modeStatus('tor'), torStatus: () => torStatus({ progress: 30 }) });
    render(<PrivacyStatus />);
    const bar = await screen.findByRole('progressbar');
    expect(bar.getAttribute('aria-valuenow')).toBe('30');
    expect(screen.getByRole('button').textContent).toBe('PrivacyTorConnecting 30 %');
    act(() => {
      cove.emit({ type: 'tor', status: torStatus({ progress: 90 }) });
    });
    expect(screen.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('90');
    act(() => {
      cove.emit({ type: 'tor', status: torStatus({ state: 'ready', progress: 100, summary: 'Done' }) });
    });
    expect(screen.queryByRole('progressbar')).toBeNull();
    expect(screen.getByRole('button').textContent).toBe('PrivacyTorTor ready');
  });

  it('follows the mode: switching, failed (nothing is sent), VPN holding', async () => {
    const cove = installFakeCove({ modeGet: () => modeStatus('direct'), torStatus: () => torStatus({ state: 'off', progress: 0 }) });
    render(<PrivacyStatus />);
    expect((await screen.findByText('Ready')).closest('button')?.textContent).toBe('PrivacyDirectReady');
    const steps = [
      { status: modeStatus('direct', { phase: 'switching', to: 'socks5' }), text: 'PrivacySOCKS5Switching…' },
      { status: modeStatus('direct', { phase: 'failed', to: 'socks5', error: { code: 'x', message: 'no proxy' } }), text: 'PrivacySOCKS5Failed: nothing is sent' },
      { status: modeStatus('vpn', { vpn: { interface: 'wg0', holding: true } }), text: 'PrivacyVPNHolding connections' },
    ] as const;
    for (const step of steps) {
      act(() => {
        cove.emit({ type: 'mode', status: step.status });
      });
      expect(screen.getByRole('button').textContent).toBe(step.text);
    }
    expect(screen.queryByRole('progressbar')).toBeNull();
  });

  it('opens the privacy screen when clicked', async () => {
    installFakeCove({ modeGet: () => modeStatus('direct'), torStatus: () => torStatus({ state: 'off', progress: 0 }) });
    render(<PrivacyStatus />);
    await screen.findByText('Ready');
    await userEvent.setup().click(screen.getByRole('button', { name: /Privacy/ }));
    expect(useNav.getState().screen).toBe('privacy');
  });
});
