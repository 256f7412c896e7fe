/** The encrypted store of Cove: what the rest of the core (and main/, through it) may use. */
export { openProfile, changePassphrase, deleteProfile, profileFiles, profileMode } from './profile';
export type { Store, Unlock, ProfileMode, OpenProfileOptions, DeleteOptions } from './profile';
export { DEFAULT_SCRYPT, MemoryKeySource } from './key';
export type { KeySource, ScryptParams } from './key';
export { exportProfile } from './export';
export type { ExportSummary } from './export';
export * from './errors';
export type { Account, Conversation, ConversationKind } from './accounts';
export type { Direction, MessageRef, MessageState, NewMessage, Page, PageCursor, SearchOptions, StoredMessage } from './messages';
export type { OutboxItem, OutgoingMessage } from './outbox';
export type { Avatar, Contact, RosterItem, Subscription } from './contacts';
export type { ContactKey, Trust } from './contact-keys';
export type { AccountConnection, ChatSummary, StoredEndpoint } from './app-data';
