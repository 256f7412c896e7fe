import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Settings } from '../../../src/api/contract';
import { coveError, installFakeCove, type FakeHandlers } from '../../test-utils/fake-cove';
import { account, appInfo, gateways } from '../../test-utils/fixtures';
import { MODEL, modeStatus, torStatus } from '../../test-utils/privacy-fixtures';
import { SettingsScreen } from './SettingsScreen';
import { DEFAULT_SETTINGS, useSettings } from './store';

const SAVED: Settings = { theme: 'light', notifications: { enabled: true, showText: false } };

function setup(extra: FakeHandlers = {}) {
  let settings = SAVED;
  return installFakeCove({
    settings: () => settings,
    setSettings: (s) => {
      settings = s;
      return s;
    },
    accounts: () => [account()],
    gateways: () => gateways(),
    logs: () => ({ lines: ['12:00:01 tor: bootstrapped 100%', '12:00:02 account 1: online'] }),
    ...extra,
  });
}

beforeEach(() => {
  useSettings.setState({ settings: DEFAULT_SETTINGS });
});

describe('SettingsScreen', () => {
  it('loads the saved settings and a theme change is saved and applied at once', async () => {
    const user = userEvent.setup();
    const cove = setup();
    render(<SettingsScreen />);
    const light = screen.getByRole('radio', { name: 'Light' });
    await waitFor(() => {
      expect((light as HTMLInputElement).checked).toBe(true);
    });
    await user.click(screen.getByRole('radio', { name: 'Dark' }));
    expect(useSettings.getState().settings.theme).toBe('dark');
    expect(screen.getByRole<HTMLInputElement>('radio', { name: 'Dark' }).checked).toBe(true);
    await waitFor(() => {
      expect(cove.callsTo('setSettings')).toEqual([{ theme: 'dark', notifications: { enabled: true, showText: false } }]);
    });
  });

  it('puts the theme back and shows the core’s sentence when saving fails', async () => {
    const user = userEvent.setup();
    setup({
      setSettings: () => {
        throw coveError('store-locked', 'The profile is locked; settings cannot be saved.');
      },
    });
    render(<SettingsScreen />);
    await waitFor(() => {
      expect(useSettings.getState().settings.theme).toBe('light');
    });
    await user.click(screen.getByRole('radio', { name: 'Dark' }));
    expect((await screen.findByRole('alert')).textContent).toBe('The profile is locked; settings cannot be saved.');
    expect(useSettings.getState().settings.theme).toBe('light');
  });

  it('notifications: message text is off by default and says why', async () => {
    const user = userEvent.setup();
    const cove = setup();
    render(<SettingsScreen />);
    const showText = screen.getByRole('checkbox', { name: /Show the message text/ });
    expect((showText as HTMLInputElement).checked).toBe(false);
    expect(screen.getByText(/would appear on the lock screen/)).toBeTruthy();
    await waitFor(() => {
      expect(cove.callsTo('settings')).toHaveLength(1);
    });
    await user.click(showText);
    await waitFor(() => {
      expect(cove.callsTo('setSettings')).toEqual([{ theme: 'light', notifications: { enabled: true, showText: true } }]);
    });
  });

  it('deletes the profile only after the exact phrase is typed', async () => {
    const user = userEvent.setup();
    const cove = setup({ profileDelete: () => ({}) });
    render(<SettingsScreen />);
    await user.click(screen.getByRole('button', { name: 'Delete profile…' }));
    const dialog = screen.getByRole('dialog', { name: 'Delete your profile?' });
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    const field = within(dialog).getByLabelText(/to confirm/);
    expect(document.activeElement).toBe(field);
    const confirm = within(dialog).getByRole('button', { name: 'Delete profile' });

    await user.type(field, 'Delete My Profile{Enter}');
    expect((confirm as HTMLButtonElement).disabled).toBe(true);
    await user.clear(field);
    await user.type(field, 'delete my profil{Enter}');
    expect((confirm as HTMLButtonElement).disabled).toBe(true);
    expect(cove.callsTo('profileDelete')).toEqual([]);

    // Escape closes without deleting; the focus goes back to the button that opened it.
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Delete profile…' }));
    expect(cove.callsTo('profileDelete')).toEqual([]);

    await user.keyboard('{Enter}');
    await user.type(screen.getByLabelText(/to confirm/), 'delete my profile');
    await user.click(screen.getByRole('button', { name: 'Delete profile' }));
    await waitFor(() => {
      expect(cove.callsTo('profileDelete')).toEqual([{ confirm: 'delete my profile' }]);
    });
  });

  it('reorders an account’s endpoints and sends the new failover order', async () => {
    const user = userEvent.setup();
    const cove = setup({ accountEndpoints: ({ accountId, endpoints }) => account({ id: accountId, endpoints }) });
    render(<SettingsScreen />);
    const card = await screen.findByRole('article', { name: 'ada@beta.example' });
    const [first, onion, third] = account().endpoints;
    const rows = () => within(card).getAllByRole('listitem').map((li) => li.querySelector('.mono')?.textContent);
    expect(rows()).toEqual(['xmpp.beta.example:5222', `${onion?.host}:5222`, 'backup.beta.example:5223']);
    expect(within(card).getByRole<HTMLButtonElement>('button', { name: 'Move xmpp.beta.example:5222 up' }).disabled).toBe(true);

    const up = within(card).getByRole('button', { name: `Move ${onion?.host}:5222 up` });
    await user.click(up);
    await waitFor(() => {
      expect(cove.callsTo('accountEndpoints')).toEqual([{ accountId: 1, endpoints: [onion, first, third] }]);
    });
    expect(rows()).toEqual([`${onion?.host}:5222`, 'xmpp.beta.example:5222', 'backup.beta.example:5223']);
    // At the top it cannot go further up: the focus stays with the moved address, on its other button.
    expect(document.activeElement).toBe(within(card).getByRole('button', { name: `Move ${onion?.host}:5222 down` }));
    expect(within(card).getByRole('status').textContent).toBe('New order saved.');

    await user.click(within(card).getByRole('button', { name: 'Move backup.beta.example:5223 up' }));
    await waitFor(() => {
      expect(cove.callsTo('accountEndpoints')[1]).toEqual({ accountId: 1, endpoints: [onion, third, first] });
    });
  });

  it('shows an account’s facts, a new backup code, and removes it after a confirmation', async () => {
    const user = userEvent.setup();
    const cove = setup({
      accounts: () => (cove.callsTo('accountRemove').length > 0 ? [] : [account({ gatewayRevoked: true })]),
      newBackupCode: () => ({ backupCode: 'ABCD-EFGH-JKLM-NPQR-STUV-WXYZ' }),
      accountRemove: () => ({}),
    });
    render(<SettingsScreen />);
    const card = await screen.findByRole('article', { name: 'ada@beta.example' });
    expect(within(card).getByText('0123 4567 89AB CDEF 0123 4567 89AB CDEF 0123 4567')).toBeTruthy();
    expect(within(card).getByText('3 of your 12 contacts share this gateway.')).toBeTruthy();
    expect(within(card).getByText(/This gateway was revoked/)).toBeTruthy();

    await user.click(within(card).getByRole('button', { name: 'New backup code' }));
    const codeDialog = await screen.findByRole('dialog', { name: 'Your new backup code' });
    expect(within(codeDialog).getByRole('group', { name: 'Backup code' }).textContent.replace(/\s/g, '')).toBe('ABCDEFGHJKLMNPQRSTUVWXYZ');
    await user.click(within(codeDialog).getByRole('button', { name: 'Done' }));
    expect(cove.callsTo('newBackupCode')).toEqual([{ accountId: 1 }]);

    await user.click(within(card).getByRole('button', { name: 'Remove from this computer' }));
    const dialog = screen.getByRole('dialog', { name: 'Remove ada@beta.example from this computer?' });
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(cove.callsTo('accountRemove')).toEqual([]);
    await user.click(within(card).getByRole('button', { name: 'Remove from this computer' }));
    await user.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Remove' }));
    expect(await screen.findByText('There are no accounts on this computer.')).toBeTruthy();
    expect(cove.callsTo('accountRemove')).toEqual([{ accountId: 1 }]);
  });

  it('gateways: serial, refresh and its problem; export summary; redacted logs', async () => {
    const user = userEvent.setup();
    const cove = setup({
      gatewaysRefresh: () => gateways({ serial: 43, problem: 'The directory mirror did not answer; this is the list from before.' }),
      profileExport: () => ({ file: '/home/ada/.config/Cove/cove-export.json', accounts: 1, conversations: 4, messages: 210 }),
    });
    render(<SettingsScreen />);
    expect(await screen.findByText('Directory serial 42')).toBeTruthy();
    expect(screen.getByText('revoked.example').closest('li')?.textContent).toMatch(/Revoked/);
    await user.click(screen.getByRole('button', { name: 'Refresh now' }));
    expect(await screen.findByText('Directory serial 43')).toBeTruthy();
    expect(screen.getByText('The directory mirror did not answer; this is the list from before.')).toBeTruthy();
    expect(cove.callsTo('gatewaysRefresh')).toHaveLength(1);

    await user.click(screen.getByRole('button', { name: 'Export' }));
    expect((await screen.findByText(/Saved 1 account, 4 conversations and 210 messages/)).textContent).toContain('/home/ada/.config/Cove/cove-export.json');

    expect(screen.getByText(/These are redacted: no IP addresses or contact addresses/)).toBeTruthy();
    const log = await screen.findByRole('list', { name: 'Recent log lines' });
    expect(within(log).getAllByRole('listitem').map((li) => li.textContent)).toEqual(['12:00:01 tor: bootstrapped 100%', '12:00:02 account 1: online']);
  });
});

describe('Settings: another account', () => {
  it('opens the onboarding steps for a second account and goes back to the list when it is added', async () => {
    const user = userEvent.setup();
    const list = [account({ id: 1, jid: 'ada@beta.example' })];
    const cove = setup({
      accounts: () => list,
      appInfo: () => appInfo({ profile: 'open' }),
      modeGet: () => modeStatus('direct'),
      whoSeesWhat: () => MODEL,
      torStatus: () => torStatus(),
      vpnInterfaces: () => [],
    });
    render(<SettingsScreen />);
    await user.click(await screen.findByRole('button', { name: 'Add another account' }));
    await screen.findByRole('heading', { name: 'How should Cove connect?' });
    await user.click(await screen.findByRole('button', { name: 'Continue' }));
    await screen.findByRole('heading', { name: 'Choose a gateway' });
    expect(cove.callsTo('appInfo')).toHaveLength(1);
    // Cancel goes back to the list, which still has the one account.
    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(await screen.findByRole('button', { name: 'Add another account' })).toBeTruthy();
    expect(list).toHaveLength(1);
  });
});

describe('Settings: your profile', () => {
  it('publishes the nickname, and refuses a picture that is not PNG or JPEG before sending it', async () => {
    const user = userEvent.setup({ applyAccept: false });
    const cove = setup({ setNickname: () => ({}), setAvatar: () => ({}) });
    render(<SettingsScreen />);
    await user.type(await screen.findByLabelText('Your nickname'), ' Ada ');
    await user.click(screen.getByRole('button', { name: 'Publish nickname' }));
    expect(cove.callsTo('setNickname')).toEqual([{ accountId: 1, nickname: 'Ada' }]);
    expect(await screen.findByText('Nickname published.')).toBeTruthy();
    const input = screen.getByLabelText('Choose a picture…');
    await user.upload(input, new File(['GIF89a'], 'x.gif', { type: 'image/gif' }));
    expect((await screen.findByRole('alert')).textContent).toBe('The picture must be a PNG or JPEG image.');
    expect(cove.callsTo('setAvatar')).toEqual([]);
    await user.upload(input, new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], 'me.png', { type: 'image/png' }));
    await waitFor(() => {
      expect(cove.callsTo('setAvatar')).toEqual([{ accountId: 1, dataUrl: 'data:image/png;base64,iVBORw==' }]);
    });
  });
});
