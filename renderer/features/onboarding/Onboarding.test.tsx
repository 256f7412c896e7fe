import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { OpOutput } from '../../../src/api/contract';
import { coveError, installFakeCove } from '../../test-utils/fake-cove';
import { account, appInfo, deferred, gateways } from '../../test-utils/fixtures';
import { MODEL, modeStatus, torStatus } from '../../test-utils/privacy-fixtures';
import { Onboarding } from './Onboarding';

const CODE = 'TWNK-KD5Y-MT3T-E1GS-DRDB-KVTW';
const BETA = gateways().gateways[1];

async function passProtectStep(user: ReturnType<typeof userEvent.setup>) {
  await user.type(screen.getByLabelText('Passphrase'), 'correct horse battery');
  await user.type(screen.getByLabelText('Passphrase again'), 'correct horse battery');
  await user.click(screen.getByRole('button', { name: 'Continue' }));
}

/** What the connection step (the privacy picker) asks the core. */
const connect = { modeGet: () => modeStatus('direct'), whoSeesWhat: () => MODEL, torStatus: () => torStatus(), vpnInterfaces: () => [] };

async function passConnectStep(user: ReturnType<typeof userEvent.setup>) {
  await screen.findByRole('heading', { name: 'How should Cove connect?' });
  const next = await screen.findByRole('button', { name: 'Continue' });
  await waitFor(() => {
    expect((next as HTMLButtonElement).disabled).toBe(false);
  });
  await user.click(next);
}

async function fillCreate(user: ReturnType<typeof userEvent.setup>) {
  await screen.findByRole('heading', { name: 'Your account on beta.example' });
  await user.type(screen.getByLabelText('Username'), 'ada');
  await user.type(screen.getByLabelText('Password'), 'a long password');
  await user.type(screen.getByLabelText('Password again'), 'a long password');
  await user.click(screen.getByRole('button', { name: 'Create account' }));
}

describe('Onboarding: create an account', () => {
  it('goes profile → gateway → account → progress → backup code, passing the right inputs to each operation', async () => {
    const user = userEvent.setup();
    const created = deferred<OpOutput<'accountCreate'>>();
    const cove = installFakeCove({
      ...connect,
      profileCreate: () => ({}),
      gateways: () => gateways(),
      registrationForm: () => ({ fields: [], captcha: false }),
      accountCreate: () => created.promise,
    });
    const onDone = vi.fn();
    render(<Onboarding info={appInfo({ profile: 'none', keychain: false })} onDone={onDone} />);

    expect(screen.getByRole('heading', { name: 'Protect your profile' })).toBeTruthy();
    expect(screen.getByText(/messages and keys encrypted on this computer/)).toBeTruthy();
    // A short passphrase is refused before anything is sent, with a strength hint.
    await user.type(screen.getByLabelText('Passphrase'), 'short');
    expect(screen.getByText(/Too short/)).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Continue' }));
    expect(cove.callsTo('profileCreate')).toEqual([]);
    await user.clear(screen.getByLabelText('Passphrase'));
    await passProtectStep(user);
    await passConnectStep(user);
    expect(cove.callsTo('profileCreate')).toEqual([{ protection: 'passphrase', passphrase: 'correct horse battery' }]);

    // Gateways: the revoked one is not offered; the suggested one is pre-selected and says why.
    await screen.findByRole('heading', { name: 'Choose a gateway' });
    const beta = await screen.findByRole('radio', { name: 'beta.example' });
    expect((beta as HTMLInputElement).checked).toBe(true);
    expect(screen.queryByRole('radio', { name: 'revoked.example' })).toBeNull();
    expect(screen.getAllByRole('radio').map((r) => r.getAttribute('value'))).toEqual(['beta.example', 'alpha.example', 'gamma.example', '']);
    expect(screen.getByText('Picked at random among healthy gateways so people spread across servers.')).toBeTruthy();
    expect(screen.getByText('clearnet + onion')).toBeTruthy();
    expect(screen.getByText('Not answering')).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Continue' }));

    await fillCreate(user);
    expect(cove.callsTo('registrationForm')).toEqual([{ domain: 'beta.example', endpoints: BETA?.endpoints }]);

    // Progress while the core works: indeterminate (no value), with the phases.
    const bar = await screen.findByRole('progressbar', { name: 'Creating your account' });
    expect(bar.getAttribute('aria-valuenow')).toBeNull();
    expect(screen.getByText('Registering on beta.example…')).toBeTruthy();
    expect(screen.getByText('Making your encryption key…')).toBeTruthy();
    expect(screen.getByText('Publishing your key…')).toBeTruthy();
    expect(cove.callsTo('accountCreate')).toEqual([{ domain: 'beta.example', endpoints: BETA?.endpoints, username: 'ada', password: 'a long password' }]);

    created.resolve({ account: account(), backupCode: CODE });
    await screen.findByRole('heading', { name: 'Write down your backup code' });
    const box = screen.getByRole('group', { name: 'Backup code' });
    expect(within(box).getAllByText(/^[0-9A-Z]{4}\s?$/).map((g) => g.textContent.trim())).toEqual(CODE.split('-'));
    await user.click(screen.getByRole('button', { name: 'Copy' }));
    expect(await navigator.clipboard.readText()).toBe(CODE);
    expect(screen.getByRole('status', { name: '' }).textContent).toMatch(/Copied/);

    const start = screen.getByRole('button', { name: 'Start chatting' });
    expect((start as HTMLButtonElement).disabled).toBe(true);
    await user.click(start);
    expect(onDone).not.toHaveBeenCalled();
    await user.click(screen.getByRole('checkbox', { name: 'I wrote it down' }));
    await user.click(start);
    expect(onDone).toHaveBeenCalledTimes(1);
  });

  it('renders the gateway’s data form with its CAPTCHA and sends the answers', async () => {
    const user = userEvent.setup();
    const cove = installFakeCove({
      ...connect,
      gateways: () => gateways(),
      registrationForm: () => ({
        instructions: 'Please answer to prove you are a person.',
        captcha: true,
        fields: [
          { var: 'FORM_TYPE', type: 'hidden', required: false, value: ['urn:xmpp:captcha'], options: [], media: [] },
          { var: 'username', type: 'text-single', label: 'User', required: true, value: [], options: [], media: [] },
          { var: 'password', type: 'text-private', label: 'Password', required: true, value: [], options: [], media: [] },
          { var: 'challenge', type: 'hidden', required: false, value: ['ch-1'], options: [], media: [] },
          { var: 'note', type: 'fixed', required: false, value: ['Accounts unused for a year are deleted.'], options: [], media: [] },
          {
            var: 'ocr',
            type: 'text-single',
            label: 'Enter the text you see',
            required: true,
            value: [],
            options: [],
            media: [
              { type: 'image/png', dataUrl: 'data:image/png;base64,iVBORw0KGgo=' },
              { type: 'audio/wav', dataUrl: 'data:audio/wav;base64,UklGRg==' },
            ],
          },
          { var: 'pin', type: 'text-private', label: 'Invite PIN', required: false, value: [], options: [], media: [] },
          { var: 'tos', type: 'boolean', label: 'I accept the terms', required: true, value: ['0'], options: [], media: [] },
          { var: 'lang', type: 'list-single', label: 'Language', required: true, value: [], options: [{ label: 'English', value: 'en' }, { label: 'Deutsch', value: 'de' }], media: [] },
        ],
      }),
      accountCreate: () => ({ account: account(), backupCode: CODE }),
    });
    render(<Onboarding info={appInfo({ profile: 'open' })} onDone={vi.fn()} />);
    await passConnectStep(user);
    await screen.findByRole('radio', { name: 'beta.example' });
    await user.click(screen.getByRole('button', { name: 'Continue' }));
    await fillCreate(user);

    await screen.findByRole('heading', { name: 'beta.example asks a few questions' });
    expect(screen.getByText('Please answer to prove you are a person.')).toBeTruthy();
    expect(screen.getByText('Accounts unused for a year are deleted.')).toBeTruthy();
    expect(screen.getByRole('img').getAttribute('src')).toBe('data:image/png;base64,iVBORw0KGgo=');
    expect(document.querySelector('audio')?.getAttribute('src')).toBe('data:audio/wav;base64,UklGRg==');
    // username and password come from the fields the person already filled, not asked twice
    expect(screen.queryByLabelText('User')).toBeNull();
    expect(screen.getByLabelText<HTMLInputElement>(/Invite PIN/).type).toBe('password');

    // Required answers are asked for before anything is sent.
    await user.click(screen.getByRole('button', { name: 'Create account' }));
    expect(screen.getByText(/Please fill in: Enter the text you see, Language/)).toBeTruthy();
    expect(cove.callsTo('accountCreate')).toEqual([]);

    await user.type(screen.getByLabelText('Enter the text you see'), '7XK2');
    await user.click(screen.getByRole('checkbox', { name: 'I accept the terms' }));
    await user.selectOptions(screen.getByLabelText('Language'), 'de');
    await user.click(screen.getByRole('button', { name: 'Create account' }));
    await screen.findByRole('heading', { name: 'Write down your backup code' });
    expect(cove.callsTo('accountCreate')).toEqual([
      {
        domain: 'beta.example',
        endpoints: BETA?.endpoints,
        username: 'ada',
        password: 'a long password',
        answers: { FORM_TYPE: 'urn:xmpp:captcha', challenge: 'ch-1', ocr: '7XK2', pin: '', tos: 'true', lang: 'de' },
      },
    ]);
  });

  it('shows the core’s sentence when creating fails and keeps what was typed', async () => {
    const user = userEvent.setup();
    const cove = installFakeCove({
      ...connect,
      gateways: () => gateways(),
      registrationForm: () => ({ fields: [], captcha: false }),
      accountCreate: () => {
        throw coveError('account-exists', 'The username ada is already taken on beta.example.');
      },
    });
    render(<Onboarding info={appInfo({ profile: 'open' })} onDone={vi.fn()} />);
    await passConnectStep(user);
    await screen.findByRole('radio', { name: 'beta.example' });
    await user.click(screen.getByRole('button', { name: 'Continue' }));
    await fillCreate(user);

    expect((await screen.findByRole('alert')).textContent).toBe('The username ada is already taken on beta.example.');
    expect(screen.getByRole('heading', { name: 'Your account on beta.example' })).toBeTruthy();
    expect(screen.getByLabelText<HTMLInputElement>('Username').value).toBe('ada');
    expect(screen.getByLabelText<HTMLInputElement>('Password').value).toBe('a long password');
    expect(screen.getByLabelText<HTMLInputElement>('Password again').value).toBe('a long password');

    // A second try goes out with the corrected name, the alert goes away while it runs.
    await user.clear(screen.getByLabelText('Username'));
    await user.type(screen.getByLabelText('Username'), 'ada2');
    await user.click(screen.getByRole('button', { name: 'Create account' }));
    await waitFor(() => {
      expect(cove.callsTo('accountCreate').map((c) => c.username)).toEqual(['ada', 'ada2']);
    });
  });

  it('shows the core’s sentence when the profile cannot be created and stays on the step', async () => {
    const user = userEvent.setup();
    installFakeCove({
      ...connect,
      profileCreate: () => {
        throw coveError('profile-io', 'Cove cannot write its profile folder.');
      },
    });
    render(<Onboarding info={appInfo({ profile: 'none' })} onDone={vi.fn()} />);
    await passProtectStep(user);
    expect((await screen.findByRole('alert')).textContent).toBe('Cove cannot write its profile folder.');
    expect(screen.getByLabelText<HTMLInputElement>('Passphrase').value).toBe('correct horse battery');
  });
});
