import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AccountView, ContactView } from '../../../src/api/contract';
import { useNav } from '../../app/nav';
import { coveError, installFakeCove, type FakeHandlers } from '../../test-utils/fake-cove';
import { chat } from '../chats/testing';
import { ContactsScreen } from './ContactsScreen';

const INVITE = 'xmpp:me@example.org?roster;ox=0123456789ABCDEF0123456789ABCDEF01234567';

function account(id: number, jid: string): AccountView {
  return { id, jid, label: `Account ${id}`, state: 'online', fingerprint: null, endpoints: [], contactsOnGateway: 0, contacts: 0, gatewayRevoked: false };
}

function contact(over: Partial<ContactView> & Pick<ContactView, 'jid'>): ContactView {
  return { name: null, subscription: 'both', asked: false, request: false, online: false, blocked: false, keys: [], nickname: null, avatar: null, ...over };
}

const ANA = contact({ jid: 'ana@example.org', name: 'Ana', online: true, keys: [{ fingerprint: 'A'.repeat(40), trust: 'verified', firstSeen: 1 }] });
const BO = contact({ jid: 'bo@example.net', subscription: 'none', asked: true, keys: [{ fingerprint: 'B'.repeat(40), trust: 'changed', firstSeen: 1 }] });
const CY = contact({ jid: 'cy@example.com', blocked: true, keys: [{ fingerprint: 'C'.repeat(40), trust: 'tofu', firstSeen: 1 }] });
const DEE = contact({ jid: 'dee@example.org', name: 'Dee', subscription: 'none', request: true });

function setup(extra: FakeHandlers = {}, contacts: ContactView[] = [ANA, BO, CY, DEE]) {
  return installFakeCove({
    accounts: () => [account(7, 'me@example.org')],
    contacts: () => contacts,
    invite: () => ({ uri: INVITE }),
    contactAdd: ({ address }) => contact({ jid: address.startsWith('xmpp:') ? 'eve@example.org' : address, subscription: 'none', asked: true }),
    contactApprove: () => ({}),
    contactDeny: () => ({}),
    contactBlock: () => ({}),
    contactRemove: () => ({}),
    openChat: ({ accountId, jid }) => chat({ conversationId: 42, accountId, peer: jid }),
    ...extra,
  });
}

async function row(name: string): Promise<HTMLElement> {
  const roster = await screen.findByRole('heading', { name: 'Your contacts' });
  const section = roster.closest('section');
  if (section === null) throw new Error('no roster');
  const heading = await within(section).findByRole('heading', { name });
  const item = heading.closest('li');
  if (item === null) throw new Error(`no row for ${name}`);
  return item;
}

beforeEach(() => {
  useNav.setState({ screen: 'contacts', conversationId: undefined, verify: undefined });
});

describe('adding contacts', () => {
  it('adds by address or by invite link, passing what was typed to the core', async () => {
    const cove = setup();
    const user = userEvent.setup();
    render(<ContactsScreen />);
    const field = await screen.findByRole('textbox', { name: 'Address or invite link' });
    expect(screen.queryByRole('combobox', { name: 'Account' })).toBeNull();
    await user.type(field, '  zoe@example.org ');
    await user.click(screen.getByRole('button', { name: 'Add contact' }));
    expect((await screen.findByText(/zoe@example\.org is in your contacts/)).getAttribute('role')).toBe('status');
    expect(field).toHaveProperty('value', '');
    await user.type(field, `${INVITE.replace('me@', 'eve@')}{Enter}`);
    await waitFor(() => {
      expect(cove.callsTo('contactAdd')).toEqual([
        { accountId: 7, address: 'zoe@example.org' },
        { accountId: 7, address: INVITE.replace('me@', 'eve@') },
      ]);
    });
  });

  it("shows the core's sentence when the address is not valid, and offers to read a QR code from a picture", async () => {
    setup({
      contactAdd: () => {
        throw coveError('contact-bad-address', 'This is neither an address nor an invite link.');
      },
    });
    const user = userEvent.setup();
    render(<ContactsScreen />);
    await user.type(await screen.findByRole('textbox', { name: 'Address or invite link' }), 'nonsense{Enter}');
    expect((await screen.findByRole('alert')).textContent).toBe('This is neither an address nor an invite link.');
    expect(screen.getByText(/Cove keeps the camera off: open a picture of it/)).toBeTruthy();
    expect(screen.getByLabelText('Read a QR code from a picture…')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Paste invite link' })).toBeTruthy();
  });

  it('shows the invite link with Copy and its QR code', async () => {
    const cove = setup();
    const user = userEvent.setup();
    render(<ContactsScreen />);
    const link = await screen.findByRole('textbox', { name: 'Invite link' });
    expect(link).toHaveProperty('value', INVITE);
    expect(cove.callsTo('invite')).toEqual([{ accountId: 7 }]);
    const qr = await screen.findByRole('img', { name: 'QR code of your invite link' });
    expect(qr.getAttribute('src')).toMatch(/^data:image\/svg\+xml/);
    await user.click(screen.getByRole('button', { name: 'Copy' }));
    expect(await navigator.clipboard.readText()).toBe(INVITE);
    expect(screen.getByText(/^Copied\./)).toBeTruthy();
  });
});

describe('requests and the roster', () => {
  it('approves and denies requests', async () => {
    const cove = setup({}, [DEE, contact({ jid: 'fay@example.org', subscription: 'none', request: true })]);
    const user = userEvent.setup();
    render(<ContactsScreen />);
    const requests = await screen.findByRole('heading', { name: 'Requests' });
    const section = requests.closest('section');
    if (section === null) throw new Error('no requests section');
    await user.click(within(within(section).getByRole('group', { name: 'Request from Dee' })).getByRole('button', { name: 'Approve' }));
    await user.click(within(within(section).getByRole('group', { name: 'Request from fay@example.org' })).getByRole('button', { name: 'Deny' }));
    expect(cove.callsTo('contactApprove')).toEqual([{ accountId: 7, jid: 'dee@example.org' }]);
    expect(cove.callsTo('contactDeny')).toEqual([{ accountId: 7, jid: 'fay@example.org' }]);
    // A pure request is not yet a contact.
    expect(screen.getByText(/No contacts yet/)).toBeTruthy();
  });

  it('describes presence, subscription and keys in words', async () => {
    setup();
    render(<ContactsScreen />);
    const ana = await row('Ana');
    expect(ana.textContent).toContain('ana@example.org');
    expect(within(ana).getByText('Online')).toBeTruthy();
    expect(within(ana).getByText('You see each other')).toBeTruthy();
    expect(within(ana).getByText('Key verified')).toBeTruthy();
    const bo = await row('bo@example.net');
    expect(within(bo).getByText('Offline')).toBeTruthy();
    expect(within(bo).getByText('Waiting for them to accept')).toBeTruthy();
    expect(within(bo).getByText('Key changed: review it')).toBeTruthy();
    const cy = await row('cy@example.com');
    expect(within(cy).getByText('Blocked')).toBeTruthy();
    expect(within(cy).getByText('Key not verified')).toBeTruthy();
  });

  it('blocks, unblocks and removes only after confirmation', async () => {
    const cove = setup();
    const user = userEvent.setup();
    render(<ContactsScreen />);
    const ana = await row('Ana');
    await user.click(within(ana).getByRole('button', { name: 'Block' }));
    expect(cove.callsTo('contactBlock')).toEqual([]);
    const confirm = within(ana).getByRole('group', { name: 'Confirm' });
    expect(confirm.textContent).toContain('Block Ana?');
    await user.click(within(confirm).getByRole('button', { name: 'Cancel' }));
    expect(within(ana).queryByRole('group', { name: 'Confirm' })).toBeNull();
    await user.click(within(ana).getByRole('button', { name: 'Block' }));
    await user.click(within(within(ana).getByRole('group', { name: 'Confirm' })).getByRole('button', { name: 'Block' }));
    const cy = await row('cy@example.com');
    await user.click(within(cy).getByRole('button', { name: 'Unblock' }));
    await user.click(within(within(cy).getByRole('group', { name: 'Confirm' })).getByRole('button', { name: 'Unblock' }));
    await waitFor(() => {
      expect(cove.callsTo('contactBlock')).toEqual([
        { accountId: 7, jid: 'ana@example.org', blocked: true },
        { accountId: 7, jid: 'cy@example.com', blocked: false },
      ]);
    });
    const bo = await row('bo@example.net');
    await user.click(within(bo).getByRole('button', { name: 'Remove' }));
    expect(cove.callsTo('contactRemove')).toEqual([]);
    await user.click(within(within(bo).getByRole('group', { name: 'Confirm' })).getByRole('button', { name: 'Remove' }));
    await waitFor(() => {
      expect(cove.callsTo('contactRemove')).toEqual([{ accountId: 7, jid: 'bo@example.net' }]);
    });
  });

  it('starts a chat with Message and opens verification with Verify', async () => {
    const cove = setup();
    const user = userEvent.setup();
    render(<ContactsScreen />);
    const ana = await row('Ana');
    await user.click(within(ana).getByRole('button', { name: 'Verify' }));
    expect(useNav.getState().verify).toEqual({ accountId: 7, jid: 'ana@example.org' });
    await user.click(within(ana).getByRole('button', { name: 'Message' }));
    await waitFor(() => {
      expect(useNav.getState().conversationId).toBe(42);
    });
    expect(cove.callsTo('openChat')).toEqual([{ accountId: 7, jid: 'ana@example.org' }]);
    expect(useNav.getState().screen).toBe('chats');
  });

  it("follows 'contacts' events and switches between accounts", async () => {
    let list = [ANA];
    const cove = setup({
      accounts: () => [account(7, 'me@example.org'), account(8, 'work@example.com')],
      contacts: ({ accountId }) => (accountId === 7 ? list : [contact({ jid: 'boss@example.com', name: 'Boss' })]),
    });
    const user = userEvent.setup();
    render(<ContactsScreen />);
    await row('Ana');
    list = [ANA, BO];
    act(() => {
      cove.emit({ type: 'contacts', accountId: 7 });
    });
    await row('bo@example.net');
    await user.selectOptions(screen.getByRole('combobox', { name: 'Account' }), 'Account 8 · work@example.com');
    await row('Boss');
    expect(cove.callsTo('contacts').at(-1)).toEqual({ accountId: 8 });
    expect(cove.callsTo('invite').at(-1)).toEqual({ accountId: 8 });
  });
});

describe('ContactsScreen: an xmpp: link opened with Cove', () => {
  it('starts the add form with the link, once', async () => {
    installFakeCove({ accounts: () => [account(7, 'me@example.org')], contacts: () => [], invite: () => ({ uri: INVITE }) });
    useNav.getState().openAddContact('xmpp:zoe@example.net?roster');
    expect(useNav.getState().screen).toBe('contacts');
    render(<ContactsScreen />);
    const field = await screen.findByRole<HTMLInputElement>('textbox', { name: 'Address or invite link' });
    expect(field.value).toBe('xmpp:zoe@example.net?roster');
    expect(useNav.getState().pendingAddress).toBeUndefined();
  });
});
