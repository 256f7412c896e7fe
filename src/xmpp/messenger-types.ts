/** The Messenger's types, its input error, and which RejectionReason a crypto failure is (for the UI's warning). */
import type { Element } from '@xmpp/client';
import { CoveError } from '../api/result';
import type { Store } from '../store';
import { MAX_BODY_CHARS, type MessageRef, type MessageState, type StoredMessage } from '../store/messages';
import type { XmppAccount } from './account';
import type { KeyProvider } from './messenger-keys';
import {
  CryptoError,
  DecryptError,
  KeyExpiredError,
  KeyMissingError,
  KeyRevokedError,
  KeyUnusableError,
  KeyUserIdError,
  MessageFormatError,
  NotEncryptedError,
  NotForUsError,
  PayloadTooLargeError,
  SignatureError,
  TimestampError,
} from '../crypto/errors';

/** Why an incoming message was not stored. */
export type RejectionReason = 'bad-signature' | 'no-key' | 'undecryptable' | 'not-for-us' | 'bad-time' | 'bad-content' | 'failed';

export class MessengerInputError extends CoveError {
  override name = 'MessengerInputError';
  constructor(what: 'recipient' | 'text') {
    super(`messenger-bad-${what}`, what === 'recipient' ? 'That is not a contact address.' : `A message has 1 to ${String(MAX_BODY_CHARS)} characters.`);
  }
}

export interface MessageRejection {
  /** Bare JID the message claims to come from: the conversation the UI shows the warning in. */
  readonly peer: string;
  /** Its id, when it had one. */
  readonly id: string | undefined;
  readonly reason: RejectionReason;
  /** The typed error behind it (a CryptoError for OX failures). */
  readonly error: Error;
}

export interface MessengerEvents {
  /** A new incoming message, stored (`encrypted: false` for plaintext: warn). */
  message: [message: StoredMessage, peer: string];
  /** One of our messages moved forward. */
  state: [ref: MessageRef, state: MessageState];
  /** An incoming message that was not stored, and why. */
  rejected: [MessageRejection];
  /** A message we had already: dropped. */
  duplicate: [ref: MessageRef];
  /** A message of an earlier run could not be encrypted again: it stays queued (and the later ones to that contact). */
  stuck: [ref: MessageRef, error: Error];
}

/** A message from a carbon or the archive (see ingest()). */
export interface MessageRecord {
  readonly direction: 'in' | 'out';
  /** The forwarded message as its sender wrote it. */
  readonly message: Element;
  /** Bare JID of the contact the conversation is with. */
  readonly peer: string;
  /** When the server archived it (MAM); stamps in the future are clamped to now. */
  readonly archivedAt?: Date;
}

export interface MessengerOptions {
  readonly account: XmppAccount;
  readonly store: Store;
  readonly keys: KeyProvider;
  /** How many messages may wait for the server's ack at once (default 200). */
  readonly window?: number;
  /** Ask the server for an ack (XEP-0198 <r/>) after this many messages written (default 20). */
  readonly ackEvery?: number;
}

export interface MessengerStats {
  received: number;
  duplicates: number;
  rejected: number;
  receiptsSent: number;
}

export function rejectionReason(err: CryptoError): RejectionReason {
  if (err instanceof SignatureError) return 'bad-signature';
  if (err instanceof KeyMissingError || err instanceof KeyExpiredError || err instanceof KeyRevokedError) return 'no-key';
  if (err instanceof KeyUnusableError || err instanceof KeyUserIdError) return 'no-key';
  if (err instanceof NotForUsError) return 'not-for-us';
  if (err instanceof TimestampError) return 'bad-time';
  if (err instanceof DecryptError || err instanceof NotEncryptedError || err instanceof MessageFormatError || err instanceof PayloadTooLargeError) return 'undecryptable';
  return 'bad-content';
}
