import { followRejections, useRejections } from './rejections';
import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChatView } from '../../../src/api/contract';
import { useNav } from '../../app/nav';
import { installFakeCove, type FakeHandlers } from '../../test-utils/fake-cove';
import { fakeLayout, type FakeLayout } from '../../test-utils/layout';
import { ChatsScreen } from './ChatsScreen';
import { chat, message, pager, T0 } from './testing';

let layout: FakeLayout;

beforeEach(() => {
  layout = fakeLayout({ scroller: '.msg-scroll', viewport: { width: 480, height: 600 }, row: '.msg-row', rowHeight: () => 56 });
  useNav.setState({ screen: 'chats', conversationId: undefined, verify: undefined });
});
afterEach(() => {
  layout.restore();
});

function setup(chats: ChatView[], extra: FakeHandlers = {}) {
  return installFakeCove({ chats: () => chats, messages: pager([]), markRead: () => ({}), setDraft: () => ({}), ...extra });
}

function conversations(): HTMLElement {
  return screen.getByRole('complementary', { name: 'Conversations' });
}

describe('the chat list', () => {
  it('shows each conversation with its name, preview, unread count and key state, and counts new messages', async () => {
    const cove = setup([
      chat({ conversationId: 1, name: 'Ana', unread: 3, keys: 'changed', last: message({ id: 'a', direction: 'out', body: 'see you\nat noon', time: T0 }) }),
      chat({ conversationId: 2, peer: 'bo@example.net', name: null, unread: 0, keys: 'unverified', last: message({ id: 'b', conversationId: 2, body: 'ok', time: T0 - 1000 }) }),
    ]);
    render(<ChatsScreen />);
    const ana = await within(conversations()).findByRole('button', { name: /Ana/ });
    expect(ana.textContent).toContain('You: see you at noon');
    expect(within(ana).getByLabelText('3 unread').textContent).toBe('3');
    expect(within(ana).getByText('Key changed')).toBeTruthy();
    const bo = within(conversations()).getByRole('button', { name: /bo@example\.net/ });
    expect(bo.textContent).toContain('ok');
    expect(bo.textContent).not.toContain('You:');
    expect(within(bo).queryByLabelText(/unread/)).toBeNull();
    expect(within(bo).getByText('Not verified')).toBeTruthy();

    // A message in Bo's conversation (not open): one unread, the new preview, and Bo moves to the top.
    act(() => {
      cove.emit({ type: 'message', accountId: 7, peer: 'bo@example.net', message: message({ id: 'c', conversationId: 2, body: 'are you there?', time: T0 + 5000 }) });
    });
    const items = within(conversations()).getAllByRole('button', { name: /./ }).filter((b) => b.classList.contains('chat-item'));
    expect(items[0]?.textContent).toContain('are you there?');
    expect(within(items[0] ?? document.body).getByLabelText('1 unread')).toBeTruthy();
  });

  it('opens a conversation on click and marks it read', async () => {
    const cove = setup([chat({ conversationId: 4, unread: 2, last: message({ id: 'x', conversationId: 4 }) })]);
    render(<ChatsScreen />);
    await userEvent.click(await within(conversations()).findByRole('button', { name: /Ana/ }));
    expect(useNav.getState().conversationId).toBe(4);
    await waitFor(() => {
      expect(cove.callsTo('markRead')).toEqual([{ conversationId: 4 }]);
    });
    expect(within(conversations()).queryByLabelText('2 unread')).toBeNull();
  });

  it('searches every conversation and opens the one a result is in', async () => {
    const cove = setup([chat({ conversationId: 1 }), chat({ conversationId: 9, name: 'Cleo', peer: 'cleo@example.org' })], {
      search: ({ query }) => (query === 'invoice' ? [message({ id: 's1', conversationId: 9, body: 'the invoice is paid' })] : []),
    });
    render(<ChatsScreen />);
    await userEvent.type(screen.getByRole('searchbox', { name: 'Search messages' }), 'invoice');
    const results = await screen.findByRole('list', { name: 'Search results' });
    expect(cove.callsTo('search').at(-1)).toEqual({ query: 'invoice', limit: 50 });
    await userEvent.click(within(results).getByRole('button', { name: /Cleo.*the invoice is paid/ }));
    expect(useNav.getState().conversationId).toBe(9);
  });
});

describe('the conversation header and banners', () => {
  const cases: [ChatView['keys'], RegExp | null][] = [
    ['unverified', /You have not verified Ana’s key yet\./],
    ['changed', /Ana’s key changed\. Messages wait until you decide\./],
    ['none', /No key yet: messages wait until Ana publishes one\./],
    ['verified', null],
  ];
  for (const [keys, text] of cases) {
    it(`shows the banner for keys '${keys}'`, async () => {
      setup([chat({ keys })]);
      useNav.setState({ conversationId: 1 });
      render(<ChatsScreen />);
      expect(await screen.findByText('End-to-end encrypted (OpenPGP)')).toBeTruthy();
      for (const other of cases) {
        if (other[1] !== null && other[1] !== text) expect(screen.queryByText(other[1])).toBeNull();
      }
      if (text !== null) expect(screen.getByText(text)).toBeTruthy();
    });
  }

  it('opens verification from the banners', async () => {
    setup([chat({ keys: 'unverified' }), chat({ conversationId: 2, accountId: 8, peer: 'bo@example.net', name: 'Bo', keys: 'changed' })]);
    useNav.setState({ conversationId: 1 });
    render(<ChatsScreen />);
    await userEvent.click(await screen.findByRole('button', { name: 'Verify' }));
    expect(useNav.getState().verify).toEqual({ accountId: 7, jid: 'ana@example.org' });
    act(() => {
      useNav.getState().closeVerify();
      useNav.getState().openChat(2);
    });
    const warning = await screen.findByRole('alert');
    expect(warning.textContent).toContain('Bo’s key changed.');
    await userEvent.click(within(warning).getByRole('button', { name: 'Review' }));
    expect(useNav.getState().verify).toEqual({ accountId: 8, jid: 'bo@example.net' });
  });

  it("shows the core's sentence when a message was rejected, in that chat only, until dismissed", async () => {
    const cove = setup([chat(), chat({ conversationId: 2, peer: 'bo@example.net', name: 'Bo' })]);
    useRejections.setState({ alerts: [] });
    const stop = followRejections(cove);
    useNav.setState({ conversationId: 1 });
    render(<ChatsScreen />);
    await screen.findByText('End-to-end encrypted (OpenPGP)');
    act(() => {
      cove.emit({ type: 'rejected', accountId: 7, peer: 'bo@example.net', error: { code: 'x', message: 'Bo’s server refused the message.' } });
      cove.emit({ type: 'rejected', accountId: 7, peer: 'ana@example.org', error: { code: 'service-unavailable', message: 'Ana’s server does not accept messages from strangers.' } });
    });
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Ana’s server does not accept messages from strangers.');
    expect(screen.queryByText('Bo’s server refused the message.')).toBeNull();
    await userEvent.click(within(alert).getByRole('button', { name: 'Dismiss' }));
    expect(screen.queryByRole('alert')).toBeNull();
    act(() => {
      useNav.getState().openChat(2);
    });
    expect((await screen.findByRole('alert')).textContent).toContain('Bo’s server refused the message.');
    stop();
  });
});
