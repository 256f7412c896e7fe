/** Names, times and labels of the chats screen. */
import type { ChatView, MessageView } from '../../../src/api/contract';

export type MessageState = MessageView['state'];
export type KeyState = ChatView['keys'];

/** The contact's name, else their address. */
export function displayName(chat: Pick<ChatView, 'name' | 'peer'>): string {
  return chat.name !== null && chat.name.trim() !== '' ? chat.name : chat.peer;
}

export function sameDay(a: number, b: number): boolean {
  return new Date(a).toDateString() === new Date(b).toDateString();
}

const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const weekday = new Intl.DateTimeFormat(undefined, { weekday: 'short' });
const date = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric' });
const longDate = new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });

/** The time of a message. */
export function clockTime(time: number): string {
  return clock.format(time);
}

/** A list's time: the clock today, the weekday this week, else the date. */
export function shortTime(time: number, now: number = Date.now()): string {
  if (sameDay(time, now)) return clock.format(time);
  if (now - time < 6 * 24 * 3600_000 && time < now) return weekday.format(time);
  return date.format(time);
}

/** The day a group of messages was written: "Today", "Yesterday" or the date. */
export function dayLabel(time: number, now: number = Date.now()): string {
  if (sameDay(time, now)) return 'Today';
  if (sameDay(time, now - 24 * 3600_000)) return 'Yesterday';
  return longDate.format(time);
}

/** One line of a message for lists: "You: " before what the user wrote, whitespace folded. */
export function preview(message: Pick<MessageView, 'direction' | 'body'>): string {
  const text = message.body.replace(/\s+/g, ' ').trim();
  return message.direction === 'out' ? `You: ${text}` : text;
}

const STATE_ORDER: readonly MessageState[] = ['queued', 'sent', 'acked', 'delivered', 'read'];

/** Whether `next` is further along than `current` (states only move forward, as in the core's store). */
export function isLater(next: MessageState, current: MessageState): boolean {
  return STATE_ORDER.indexOf(next) > STATE_ORDER.indexOf(current);
}

/** What each delivery state means, as the ticks' accessible label. */
export const STATE_LABEL: Record<MessageState, string> = {
  queued: 'Waiting',
  sent: 'Sent',
  acked: 'Sent, on server',
  delivered: 'Delivered',
  read: 'Read',
};

export const STATE_HINT: Record<MessageState, string> = {
  queued: 'Waiting: stored here, not sent yet',
  sent: 'Sent',
  acked: 'Sent: the server has it',
  delivered: 'Delivered to their device',
  read: 'Read',
};

/** The short key marker of a conversation. */
export const KEY_LABEL: Record<KeyState, string> = {
  verified: 'Verified',
  unverified: 'Not verified',
  changed: 'Key changed',
  none: 'No key',
};

export const KEY_HINT: Record<KeyState, string> = {
  verified: 'You verified their key',
  unverified: 'Encrypted, but you have not verified their key yet',
  changed: 'Their key changed: messages wait until you decide',
  none: 'They have not published a key yet: messages wait',
};

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
