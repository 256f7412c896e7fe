/** What a contact's roster state and keys mean, in words. */
import type { ContactView } from '../../../src/api/contract';

/** The name the user gave, else the contact's own nickname (vCard4), else the address. */
export function contactName(contact: Pick<ContactView, 'name' | 'jid'> & Partial<Pick<ContactView, 'nickname'>>): string {
  if (contact.name !== null && contact.name.trim() !== '') return contact.name;
  if (contact.nickname != null && contact.nickname.trim() !== '') return contact.nickname;
  return contact.jid;
}

/** The presence subscription, as the user would say it. */
export function relationWords(contact: ContactView): string {
  if (contact.subscription === 'both') return 'You see each other';
  if (contact.asked) return 'Waiting for them to accept';
  if (contact.subscription === 'to') return 'You see them; they do not see you';
  if (contact.subscription === 'from') return 'They see you; you do not see them';
  return 'Not connected';
}

export type KeySummary = 'none' | 'changed' | 'verified' | 'unverified' | 'rejected';

export function keySummary(contact: ContactView): KeySummary {
  if (contact.keys.some((k) => k.trust === 'changed')) return 'changed';
  const usable = contact.keys.filter((k) => k.trust !== 'rejected');
  if (usable.length === 0) return contact.keys.length === 0 ? 'none' : 'rejected';
  return usable.every((k) => k.trust === 'verified') ? 'verified' : 'unverified';
}

export const KEY_WORDS: Record<KeySummary, string> = {
  none: 'No key yet',
  changed: 'Key changed: review it',
  verified: 'Key verified',
  unverified: 'Key not verified',
  rejected: 'Key rejected',
};

/** A pure request: someone who is not in the roster asks to see our presence. */
export function isPureRequest(contact: ContactView): boolean {
  return contact.request && contact.subscription === 'none' && !contact.asked;
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
