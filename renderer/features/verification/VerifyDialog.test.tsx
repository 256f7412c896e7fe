import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import QRCode from 'qrcode';
import { beforeEach, describe, expect, it } from 'vitest';
import type { OpOutput } from '../../../src/api/contract';
import { useNav } from '../../app/nav';
import { coveError, installFakeCove } from '../../test-utils/fake-cove';
import { VerifyDialog } from './VerifyDialog';

const OWN = '0123456789ABCDEF0123456789ABCDEF01234567';
const TOFU = 'AAAABBBBCCCCDDDDEEEEFFFF0000111122223333';
const NEW = '9999888877776666555544443333222211110000';
const T = Date.UTC(2025, 0, 6);

type KeysView = OpOutput<'keys'>;

function view(tofuTrust: KeysView['keys'][number]['trust'] = 'tofu'): KeysView {
  return {
    own: OWN,
    ownJid: 'me@example.org',
    peer: 'ana@example.org',
    keys: [
      { fingerprint: TOFU, trust: tofuTrust, firstSeen: T },
      { fingerprint: NEW, trust: 'changed', firstSeen: T + 1000 },
    ],
  };
}

function keyItem(fingerprintStart: string): HTMLElement {
  const item = screen.getByText(fingerprintStart).closest('li');
  if (item === null) throw new Error(`no key ${fingerprintStart}`);
  return item;
}

beforeEach(() => {
  useNav.setState({ verify: { accountId: 7, jid: 'ana@example.org' } });
});

describe('the verification dialog', () => {
  it('is a labelled modal dialog that takes the focus and shows both fingerprints in groups of four', async () => {
    const cove = installFakeCove({ keys: () => view() });
    render(<VerifyDialog accountId={7} jid="ana@example.org" />);
    const dialog = screen.getByRole('dialog', { name: 'Verify ana@example.org' });
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    expect(dialog.contains(document.activeElement)).toBe(true);
    await within(dialog).findByText('Your fingerprint');
    expect(cove.callsTo('keys')).toEqual([{ accountId: 7, jid: 'ana@example.org' }]);

    const groups = [...dialog.querySelectorAll('.verify-fp-groups')].map((p) => p.textContent.trim());
    expect(groups).toEqual(['0123 4567 89AB CDEF 0123 4567 89AB CDEF 0123 4567', 'AAAA BBBB CCCC DDDD EEEE FFFF 0000 1111 2222 3333', '9999 8888 7777 6666 5555 4444 3333 2222 1111 0000']);
    expect(within(keyItem('AAAA')).getByText(/Not verified yet/)).toBeTruthy();
    expect(within(keyItem('9999')).getByText('New key: waiting for your decision')).toBeTruthy();
  });

  it('draws each fingerprint as a QR code of OPENPGP4FPR:<fingerprint>', async () => {
    installFakeCove({ keys: () => view() });
    render(<VerifyDialog accountId={7} jid="ana@example.org" />);
    const own = await screen.findByRole('img', { name: 'QR code of the fingerprint of you (me@example.org)' });
    const theirs = await screen.findAllByRole('img', { name: 'QR code of the fingerprint of ana@example.org' });
    expect(theirs).toHaveLength(2);
    const expected = async (fp: string) =>
      `data:image/svg+xml;charset=utf-8,${encodeURIComponent(await QRCode.toString(`OPENPGP4FPR:${fp}`, { type: 'svg', errorCorrectionLevel: 'M', margin: 2, color: { dark: '#000000', light: '#ffffff' } }))}`;
    expect(own.getAttribute('src')).toBe(await expected(OWN));
    expect(theirs.map((img) => img.getAttribute('src'))).toEqual([await expected(TOFU), await expected(NEW)]);
    expect(decodeURIComponent(own.getAttribute('src') ?? '')).toContain('<svg');
  });

  it('closes on Escape and with the Close button', async () => {
    installFakeCove({ keys: () => view() });
    const user = userEvent.setup();
    const { unmount } = render(<VerifyDialog accountId={7} jid="ana@example.org" />);
    await user.keyboard('{Escape}');
    expect(useNav.getState().verify).toBeUndefined();
    unmount();
    useNav.setState({ verify: { accountId: 7, jid: 'ana@example.org' } });
    render(<VerifyDialog accountId={7} jid="ana@example.org" />);
    await user.click(screen.getByRole('button', { name: 'Close' }));
    expect(useNav.getState().verify).toBeUndefined();
  });

  it('marks a key verified through keyDecide and shows the new trust', async () => {
    const cove = installFakeCove({ keys: () => view(), keyDecide: ({ decision }) => view(decision === 'verify' ? 'verified' : 'tofu') });
    const user = userEvent.setup();
    render(<VerifyDialog accountId={7} jid="ana@example.org" />);
    await screen.findByText('Your fingerprint');
    await user.click(within(keyItem('AAAA')).getByRole('button', { name: 'Mark verified' }));
    expect(cove.callsTo('keyDecide')).toEqual([{ accountId: 7, jid: 'ana@example.org', fingerprint: TOFU, decision: 'verify' }]);
    expect((await screen.findByRole('status')).textContent).toBe('Marked verified.');
    expect(within(keyItem('AAAA')).getByText('Verified')).toBeTruthy();
    expect(within(keyItem('AAAA')).queryByRole('button', { name: 'Mark verified' })).toBeNull();
  });

  it('offers Accept and Reject for a changed key, each explained, and sends the decision', async () => {
    const cove = installFakeCove({ keys: () => view(), keyDecide: () => view() });
    const user = userEvent.setup();
    render(<VerifyDialog accountId={7} jid="ana@example.org" />);
    await screen.findByText('Your fingerprint');
    const changed = keyItem('9999');
    expect(within(changed).getByText(/new device or a reinstall/)).toBeTruthy();
    expect(within(changed).getByText(/did not expect a new key/)).toBeTruthy();
    expect(within(keyItem('AAAA')).queryByRole('button', { name: 'Reject' })).toBeNull();
    await user.click(within(changed).getByRole('button', { name: 'Reject' }));
    await user.click(within(keyItem('9999')).getByRole('button', { name: 'Accept this key' }));
    await waitFor(() => {
      expect(cove.callsTo('keyDecide')).toEqual([
        { accountId: 7, jid: 'ana@example.org', fingerprint: NEW, decision: 'reject' },
        { accountId: 7, jid: 'ana@example.org', fingerprint: NEW, decision: 'accept' },
      ]);
    });
  });

  it("shows the core's sentence when the keys cannot be read, and says so when there is no key", async () => {
    installFakeCove({ keys: () => Promise.reject(coveError('keys-locked', 'The profile is locked.')) });
    const { unmount } = render(<VerifyDialog accountId={7} jid="ana@example.org" />);
    expect((await screen.findByRole('alert')).textContent).toBe('The profile is locked.');
    unmount();
    installFakeCove({ keys: () => ({ ...view(), keys: [] }) });
    render(<VerifyDialog accountId={7} jid="ana@example.org" />);
    expect(await screen.findByText(/ana@example\.org has not published a key yet/)).toBeTruthy();
  });

  it('keeps Tab inside the dialog', async () => {
    installFakeCove({ keys: () => view() });
    const user = userEvent.setup();
    render(
      <>
        <button type="button">Behind the dialog</button>
        <VerifyDialog accountId={7} jid="ana@example.org" />
        <button type="button">Also behind</button>
      </>,
    );
    await screen.findByText('Your fingerprint');
    const dialog = screen.getByRole('dialog');
    for (let i = 0; i < 12; i++) {
      await user.tab();
      expect(dialog.contains(document.activeElement)).toBe(true);
    }
    await user.tab({ shift: true });
    expect(dialog.contains(document.activeElement)).toBe(true);
  });
});
