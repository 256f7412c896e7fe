import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChatView, MessageView } from '../../../src/api/contract';
import { useNav } from '../../app/nav';
import { installFakeCove, type FakeHandlers } from '../../test-utils/fake-cove';
import { fakeLayout, type FakeLayout } from '../../test-utils/layout';
import { ChatsScreen } from './ChatsScreen';
import { chat, message, pager, T0 } from './testing';

let layout: FakeLayout;

beforeEach(() => {
  layout = fakeLayout({ scroller: '.msg-scroll', viewport: { width: 480, height: 600 }, row: '.msg-row', rowHeight: () => 56 });
  useNav.setState({ screen: 'chats', conversationId: 1, verify: undefined });
});
afterEach(() => {
  layout.restore();
});

async function open(history: MessageView[], chats: ChatView[] = [chat()], extra: FakeHandlers = {}) {
  const cove = installFakeCove({ chats: () => chats, messages: pager(history), markRead: () => ({}), setDraft: () => ({}), ...extra });
  render(<ChatsScreen />);
  await screen.findByRole('region', { name: 'Messages with Ana' });
  return cove;
}

function messages(): HTMLElement {
  return screen.getByRole('region', { name: 'Messages with Ana' });
}

function composer(): HTMLTextAreaElement {
  return screen.getByRole('textbox', { name: 'Message to Ana' });
}

describe('delivery ticks', () => {
  it('labels each state and moves on with messageState events', async () => {
    const cove = await open([
      message({ id: 'q', seq: 1, direction: 'out', state: 'queued', body: 'one', time: T0 }),
      message({ id: 'k', seq: 2, direction: 'out', state: 'acked', body: 'two', time: T0 + 1 }),
      message({ id: 's', seq: 3, direction: 'out', state: 'sent', body: 'three', time: T0 + 2 }),
    ]);
    const row = (body: string) => {
      const bubble = within(messages()).getByText(body).closest('.msg-row');
      if (!(bubble instanceof HTMLElement)) throw new Error(`no row for ${body}`);
      return bubble;
    };
    await within(messages()).findByText('three');
    expect(within(row('one')).getByRole('img', { name: 'Waiting' }).getAttribute('title')).toMatch(/not sent yet/);
    expect(within(row('two')).getByRole('img', { name: 'Sent, on server' }).textContent).toContain('on server');
    expect(within(row('three')).getByRole('img', { name: 'Sent' })).toBeTruthy();

    act(() => {
      cove.emit({ type: 'messageState', conversationId: 1, id: 's', state: 'delivered' });
      cove.emit({ type: 'messageState', conversationId: 1, id: 'q', state: 'read' });
      // Another conversation's message with the same id is not this one.
      cove.emit({ type: 'messageState', conversationId: 2, id: 'k', state: 'read' });
    });
    expect(within(row('three')).getByRole('img', { name: 'Delivered' })).toBeTruthy();
    expect(within(row('one')).getByRole('img', { name: 'Read' }).classList.contains('ticks-read')).toBe(true);
    expect(within(row('two')).getByRole('img', { name: 'Sent, on server' })).toBeTruthy();

    // States only move forward, as in the core's store: a late ack does not undo "read".
    act(() => {
      cove.emit({ type: 'messageState', conversationId: 1, id: 'q', state: 'acked' });
    });
    expect(within(row('one')).getByRole('img', { name: 'Read' })).toBeTruthy();
  });

  it('has no ticks on incoming messages, and marks a plaintext one "Not encrypted"', async () => {
    await open([message({ id: 'p', seq: 1, body: 'plain hello', encrypted: false }), message({ id: 'e', seq: 2, time: T0 + 1, body: 'sealed hello' })]);
    const plain = (await within(messages()).findByText('plain hello')).closest('.msg');
    const sealed = within(messages()).getByText('sealed hello').closest('.msg');
    if (!(plain instanceof HTMLElement) || !(sealed instanceof HTMLElement)) throw new Error('no bubbles');
    expect(within(plain).getByText('Not encrypted').classList.contains('msg-plain')).toBe(true);
    expect(within(sealed).queryByText('Not encrypted')).toBeNull();
    expect(within(plain).queryByRole('img')).toBeNull();
    expect(screen.getByText('End-to-end encrypted (OpenPGP)')).toBeTruthy();
  });
});

describe('the composer', () => {
  it('sends on Enter, adds a line on Shift+Enter, and shows the sent message', async () => {
    const cove = await open([], [chat()], {
      send: ({ text }) => message({ id: 'sent-1', seq: 5, direction: 'out', state: 'queued', body: text, time: Date.now() }),
    });
    const user = userEvent.setup();
    await user.type(composer(), 'first line{Shift>}{Enter}{/Shift}second line');
    expect(cove.callsTo('send')).toEqual([]);
    expect(composer().value).toBe('first line\nsecond line');

    await user.keyboard('{Enter}');
    await waitFor(() => {
      expect(cove.callsTo('send')).toEqual([{ accountId: 7, jid: 'ana@example.org', text: 'first line\nsecond line' }]);
    });
    await waitFor(() => {
      expect(composer().value).toBe('');
    });
    expect(within(messages()).getByText(/first line\s+second line/)).toBeTruthy();
    expect(within(messages()).getByRole('img', { name: 'Waiting' })).toBeTruthy();
    // The 'message' event for the same message does not show it twice.
    act(() => {
      cove.emit({ type: 'message', accountId: 7, peer: 'ana@example.org', message: message({ id: 'sent-1', seq: 5, direction: 'out', state: 'sent', body: 'first line\nsecond line' }) });
    });
    expect(within(messages()).getAllByText(/first line\s+second line/)).toHaveLength(1);
    expect(within(messages()).getByRole('img', { name: 'Sent' })).toBeTruthy();
  });

  it("keeps the text and shows the core's sentence when sending fails; Enter on an empty box sends nothing", async () => {
    const { coveError } = await import('../../test-utils/fake-cove');
    const cove = await open([], [chat()], {
      send: () => {
        throw coveError('send-too-long', 'This message is too long to send.');
      },
    });
    const user = userEvent.setup();
    await user.type(composer(), '{Enter}');
    expect(cove.callsTo('send')).toEqual([]);
    await user.type(composer(), 'hello{Enter}');
    expect((await screen.findByRole('alert')).textContent).toBe('This message is too long to send.');
    expect(composer().value).toBe('hello');
  });

  it('restores the draft of each conversation and saves what is typed', async () => {
    const cove = await open([], [chat({ draft: 'half a thought' }), chat({ conversationId: 2, peer: 'bo@example.net', name: 'Bo', draft: '' })]);
    expect(composer().value).toBe('half a thought');
    const user = userEvent.setup();
    await user.type(composer(), ', finished');
    await waitFor(() => {
      expect(cove.callsTo('setDraft').at(-1)).toEqual({ conversationId: 1, text: 'half a thought, finished' });
    });
    // Typed, then straight to another conversation: the draft is saved at once, and comes back.
    // (In one go, so that no pause in typing could have saved it first.)
    const saved = cove.callsTo('setDraft').length;
    act(() => {
      fireEvent.change(composer(), { target: { value: 'half a thought, finished!' } });
      useNav.getState().openChat(2);
    });
    expect(cove.callsTo('setDraft').slice(saved)).toEqual([{ conversationId: 1, text: 'half a thought, finished!' }]);
    expect(screen.getByRole('textbox', { name: 'Message to Bo' })).toHaveProperty('value', '');
    act(() => {
      useNav.getState().openChat(1);
    });
    expect(composer().value).toBe('half a thought, finished!');
  });
});
