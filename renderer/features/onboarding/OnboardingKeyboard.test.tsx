import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { installFakeCove } from '../../test-utils/fake-cove';
import { account, appInfo, gateways } from '../../test-utils/fixtures';
import { MODEL, modeStatus, torStatus } from '../../test-utils/privacy-fixtures';
import { Onboarding } from './Onboarding';
import { Unlock } from './Unlock';
import { coveError } from '../../test-utils/fake-cove';

type User = ReturnType<typeof userEvent.setup>;

/** Presses Tab (only Tab) until the focus is on the element; fails if it is not reachable within `max` presses. */
async function tabTo(user: User, el: HTMLElement, max = 15) {
  for (let i = 0; i < max && document.activeElement !== el; i++) await user.tab();
  expect(document.activeElement).toBe(el);
}

describe('Onboarding: an existing account', () => {
  it('starts at the gateway when the profile is open, and signs in on my own server with a backup code', async () => {
    const user = userEvent.setup();
    const cove = installFakeCove({
      modeGet: () => modeStatus('direct'),
      whoSeesWhat: () => MODEL,
      torStatus: () => torStatus(),
      vpnInterfaces: () => [],
      gateways: () => gateways(),
      accountLogin: () => ({ account: account({ jid: 'ada@chat.example.org' }), backupCode: null }),
    });
    const onDone = vi.fn();
    render(<Onboarding info={appInfo({ profile: 'open' })} onDone={onDone} />);
    expect(screen.queryByRole('heading', { name: 'Protect your profile' })).toBeNull();
    // The connection step comes first: the mode in force (Direct here) is kept with Continue.
    await screen.findByRole('heading', { name: 'How should Cove connect?' });
    await user.click(await screen.findByRole('button', { name: 'Continue' }));
    await screen.findByRole('radio', { name: 'beta.example' });

    await user.click(screen.getByRole('radio', { name: 'Use my own server' }));
    await user.type(screen.getByLabelText('Domain'), 'not a domain');
    await user.clear(screen.getByLabelText('Port'));
    await user.type(screen.getByLabelText('Port'), '70000');
    await user.click(screen.getByRole('button', { name: 'Continue' }));
    expect(screen.getByText(/not a valid domain/)).toBeTruthy();
    expect(screen.getByText('Enter a port number between 1 and 65535.')).toBeTruthy();
    expect(screen.getByRole('heading', { name: 'Choose a gateway' })).toBeTruthy();

    await user.clear(screen.getByLabelText('Domain'));
    await user.type(screen.getByLabelText('Domain'), 'chat.example.org');
    await user.type(screen.getByLabelText('Server address'), 'chatexamplechatexamplechatexamplechatexamplechatexample.onion');
    await user.clear(screen.getByLabelText('Port'));
    await user.type(screen.getByLabelText('Port'), '5222');
    await user.click(screen.getByRole('button', { name: 'Continue' }));

    await screen.findByRole('heading', { name: 'Your account on chat.example.org' });
    await user.click(screen.getByRole('radio', { name: 'I already have an account' }));
    await user.type(screen.getByLabelText('Address'), 'ada@chat.example.org');
    await user.type(screen.getByLabelText('Password'), 'secret');
    await user.type(screen.getByLabelText('Backup code (optional)'), 'TWNK-KD5Y-MT3T-E1GS-DRDB-KVTW');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));

    await vi.waitFor(() => {
      expect(onDone).toHaveBeenCalledTimes(1);
    });
    expect(cove.callsTo('accountLogin')).toEqual([
      {
        jid: 'ada@chat.example.org',
        password: 'secret',
        endpoints: [{ host: 'chatexamplechatexamplechatexamplechatexamplechatexample.onion', port: 5222, kind: 'onion' }],
        backupCode: 'TWNK-KD5Y-MT3T-E1GS-DRDB-KVTW',
      },
    ]);
    expect(cove.callsTo('registrationForm')).toEqual([]);
  });
});

describe('Onboarding: keyboard only', () => {
  it('goes through every step with Tab, Space and Enter', async () => {
    const user = userEvent.setup();
    const cove = installFakeCove({
      modeGet: () => modeStatus('direct'),
      whoSeesWhat: () => MODEL,
      torStatus: () => torStatus(),
      vpnInterfaces: () => [],
      profileCreate: () => ({}),
      gateways: () => gateways(),
      registrationForm: () => ({ fields: [], captcha: false }),
      accountCreate: () => ({ account: account(), backupCode: 'TWNK-KD5Y-MT3T-E1GS-DRDB-KVTW' }),
    });
    const onDone = vi.fn();
    render(<Onboarding info={appInfo({ profile: 'none', keychain: true })} onDone={onDone} />);

    // Step 1: the keychain is the default when there is one; the focus starts on the step's heading.
    expect(document.activeElement).toBe(screen.getByRole('heading', { name: 'Protect your profile' }));
    const keychain = screen.getByRole('radio', { name: /keychain/ });
    expect((keychain as HTMLInputElement).checked).toBe(true);
    await tabTo(user, keychain);
    await tabTo(user, screen.getByRole('button', { name: 'Continue' }));
    await user.keyboard('{Enter}');
    expect(cove.callsTo('profileCreate')).toEqual([{ protection: 'keychain' }]);

    // The connection step: its heading takes the focus; Tab reaches Continue (Direct is in force).
    const connectHeading = await screen.findByRole('heading', { name: 'How should Cove connect?' });
    await vi.waitFor(() => {
      expect(document.activeElement).toBe(connectHeading);
    });
    const next = screen.getByRole('button', { name: 'Continue' });
    await vi.waitFor(() => {
      expect((next as HTMLButtonElement).disabled).toBe(false);
    });
    await tabTo(user, next, 40);
    await user.keyboard('{Enter}');

    // Step 2: the focus moves to the new heading; pick another gateway with the arrow keys.
    const heading = await screen.findByRole('heading', { name: 'Choose a gateway' });
    await vi.waitFor(() => {
      expect(document.activeElement).toBe(heading);
    });
    const beta = await screen.findByRole('radio', { name: 'beta.example' });
    await tabTo(user, beta);
    await user.keyboard('{ArrowDown}');
    expect(screen.getByRole<HTMLInputElement>('radio', { name: 'alpha.example' }).checked).toBe(true);
    await tabTo(user, screen.getByRole('button', { name: 'Continue' }));
    await user.keyboard('{Enter}');

    // Step 3: fields in order, Enter submits.
    await screen.findByRole('heading', { name: 'Your account on alpha.example' });
    await tabTo(user, screen.getByLabelText('Username'));
    await user.keyboard('ada');
    await user.tab();
    expect(document.activeElement).toBe(screen.getByLabelText('Password'));
    await user.keyboard('a long password');
    await user.tab();
    await user.keyboard('a long password{Enter}');

    // Step 5: the checkbox with Space, then Start chatting with Enter.
    await screen.findByRole('heading', { name: 'Write down your backup code' });
    await tabTo(user, screen.getByRole('checkbox', { name: 'I wrote it down' }));
    await user.keyboard(' ');
    await tabTo(user, screen.getByRole('button', { name: 'Start chatting' }));
    await user.keyboard('{Enter}');
    expect(onDone).toHaveBeenCalledTimes(1);
    expect(cove.callsTo('accountCreate')).toEqual([
      { domain: 'alpha.example', endpoints: gateways().gateways[0]?.endpoints, username: 'ada', password: 'a long password' },
    ]);
  });
});

describe('Unlock', () => {
  it('puts the focus in the field, shows the core’s sentence for a wrong passphrase, and opens with the right one', async () => {
    const user = userEvent.setup();
    const cove = installFakeCove({
      modeGet: () => modeStatus('direct'),
      whoSeesWhat: () => MODEL,
      torStatus: () => torStatus(),
      vpnInterfaces: () => [],
      profileUnlock: ({ passphrase }) => {
        if (passphrase !== 'right one') throw coveError('profile-wrong-passphrase', 'This passphrase does not open the profile.');
        return {};
      },
    });
    const onUnlocked = vi.fn();
    render(<Unlock onUnlocked={onUnlocked} />);
    const field = screen.getByLabelText('Passphrase');
    expect(document.activeElement).toBe(field);
    await user.keyboard('wrong one{Enter}');
    expect((await screen.findByRole('alert')).textContent).toBe('This passphrase does not open the profile.');
    expect(onUnlocked).not.toHaveBeenCalled();
    expect(document.activeElement).toBe(field);
    await user.clear(field);
    await user.type(field, 'right one');
    await user.click(screen.getByRole('button', { name: 'Unlock' }));
    await vi.waitFor(() => {
      expect(onUnlocked).toHaveBeenCalledTimes(1);
    });
    expect(cove.callsTo('profileUnlock')).toEqual([{ passphrase: 'wrong one' }, { passphrase: 'right one' }]);
  });
});
