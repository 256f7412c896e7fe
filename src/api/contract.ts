/**
 * The one contract between the UI and the core: every operation (input and output schema) and every event. Nothing
 * crosses the boundary without it: Electron's IPC handlers (main/) and the browser bridge (src/bridge/) both parse
 * the input with `operations[name].input` before the core sees it, and the preload exposes exactly one named function
 * per operation (`window.cove.<name>(input)`), never a generic channel. Results are `{ok:true,value}|{ok:false,error}`.
 */
import { z } from 'zod';
import {
  AccountCreatedSchema,
  AccountCreateSchema,
  AccountLoginSchema,
  AccountViewSchema,
  ApiErrorSchema,
  AppInfoSchema,
  ChatViewSchema,
  ConnectionsSchema,
  ContactViewSchema,
  CursorSchema,
  EndpointSchema,
  ExportSummarySchema,
  FingerprintSchema,
  GatewaysSchema,
  HostSchema,
  IdSchema,
  KeysViewSchema,
  LeakCheckViewSchema,
  MessageStateSchema,
  MessageViewSchema,
  ModeSettingsSchema,
  ModeStatusSchema,
  PageSchema,
  ProfileCreateSchema,
  RegistrationFormSchema,
  SettingsSchema,
  TorStatusSchema,
  VpnInterfaceSchema,
  WhoSeesWhatSchema,
} from './schemas';

export * from './schemas';

const none = z.object({}).strict();
const done = z.object({}).strict();
const account = z.object({ accountId: IdSchema }).strict();
const withPeer = z.object({ accountId: IdSchema, jid: z.string().min(3).max(3071) }).strict();

function op<I extends z.ZodType, O extends z.ZodType>(input: I, output: O, doc: string): { input: I; output: O; doc: string } {
  return { input, output, doc };
}

export const operations = {
  appInfo: op(none, AppInfoSchema, 'What runs: version, shell, whether a profile exists and is open.'),
  profileCreate: op(ProfileCreateSchema, done, 'Creates the encrypted profile (passphrase, or the OS keychain in Electron).'),
  profileUnlock: op(z.object({ passphrase: z.string().min(1).max(1024) }).strict(), done, 'Opens the profile.'),
  profileExport: op(none, ExportSummarySchema, 'Writes a plain copy of the profile next to it and says where.'),
  profileDelete: op(z.object({ confirm: z.literal('delete my profile') }).strict(), done, 'Deletes the profile and its keys.'),

  modeGet: op(none, ModeStatusSchema, 'The privacy mode in force.'),
  modeSet: op(ModeSettingsSchema, ModeStatusSchema, 'Switches the privacy mode; fails closed (nothing goes out directly).'),
  whoSeesWhat: op(none, WhoSeesWhatSchema, 'Who learns what about the user in each mode.'),
  vpnInterfaces: op(none, z.array(VpnInterfaceSchema), 'Tunnel interfaces the VPN mode can use.'),
  torStatus: op(none, TorStatusSchema, 'Tor: bootstrap progress, version, bridges, Connection Assist.'),
  torSetBridges: op(z.object({ enabled: z.boolean(), lines: z.array(z.string().max(2048)).max(32) }).strict(), TorStatusSchema, 'Sets the bridges tor uses.'),
  torNewIdentity: op(none, done, 'New Tor circuits for new connections (NEWNYM).'),
  leakCheck: op(none, LeakCheckViewSchema, 'Checks that no socket of Cove bypasses the privacy mode.'),
  connections: op(none, ConnectionsSchema, 'Every live connection with purpose and path; Tor circuits.'),

  gateways: op(none, GatewaysSchema, 'Gateways from the signed directory, with health and a random healthy suggestion.'),
  gatewaysRefresh: op(none, GatewaysSchema, 'Refreshes the signed directory through the current privacy mode.'),
  registrationForm: op(z.object({ domain: HostSchema, endpoints: z.array(EndpointSchema).min(1).max(8) }).strict(), RegistrationFormSchema, "The gateway's sign-up form (XEP-0077), CAPTCHA included."),
  accountCreate: op(AccountCreateSchema, AccountCreatedSchema, 'Registers an account, makes its OpenPGP key, publishes it, returns the backup code.'),
  accountLogin: op(AccountLoginSchema, AccountCreatedSchema, 'Adds an existing account (restores its key from the backup when a code is given).'),
  accounts: op(none, z.array(AccountViewSchema), 'The accounts of the profile.'),
  accountRemove: op(account, done, 'Removes an account from this profile (not from the server).'),
  accountEndpoints: op(z.object({ accountId: IdSchema, endpoints: z.array(EndpointSchema).min(1).max(8) }).strict(), AccountViewSchema, 'Sets the failover order of the gateway endpoints.'),

  chats: op(none, z.array(ChatViewSchema), 'Conversations of every account, newest first, with unread counts.'),
  messages: op(z.object({ conversationId: IdSchema, before: CursorSchema.optional(), limit: z.number().int().min(1).max(500) }).strict(), PageSchema, 'One page of a conversation, newest first.'),
  search: op(z.object({ query: z.string().min(1).max(256), limit: z.number().int().min(1).max(200) }).strict(), z.array(MessageViewSchema), 'Full-text search over every conversation.'),
  send: op(z.object({ accountId: IdSchema, jid: z.string().min(3).max(3071), text: z.string().min(1).max(65_536) }).strict(), MessageViewSchema, 'Encrypts (OX) and queues a message; it is stored before it is sent.'),
  markRead: op(z.object({ conversationId: IdSchema }).strict(), done, 'Marks a conversation read (XEP-0333 displayed to the sender).'),
  setDraft: op(z.object({ conversationId: IdSchema, text: z.string().max(65_536) }).strict(), done, 'Keeps the composer text of a conversation.'),
  openChat: op(withPeer, ChatViewSchema, 'The conversation with a contact (made if new).'),

  contacts: op(account, z.array(ContactViewSchema), 'Roster with requests, presence, block state and keys.'),
  contactAdd: op(z.object({ accountId: IdSchema, address: z.string().min(3).max(4096) }).strict(), ContactViewSchema, 'Adds a contact by JID or invite link (xmpp:…?roster;ox=FP) and asks to see each other.'),
  contactApprove: op(withPeer, done, 'Approves a contact request (and asks back).'),
  contactDeny: op(withPeer, done, 'Denies a contact request.'),
  contactRemove: op(withPeer, done, 'Removes a contact from the roster.'),
  contactBlock: op(z.object({ accountId: IdSchema, jid: z.string().min(3).max(3071), blocked: z.boolean() }).strict(), done, 'Blocks or unblocks (XEP-0191).'),
  invite: op(account, z.object({ uri: z.string() }), 'An invite link carrying the account and its key fingerprint.'),
  keys: op(withPeer, KeysViewSchema, "Our fingerprint and the contact's keys with their trust."),
  keyDecide: op(z.object({ accountId: IdSchema, jid: z.string().min(3).max(3071), fingerprint: FingerprintSchema, decision: z.enum(['verify', 'accept', 'reject']) }).strict(), KeysViewSchema, 'Marks a key verified, accepts a new key, or rejects it.'),
  setNickname: op(z.object({ accountId: IdSchema, nickname: z.string().min(1).max(256) }).strict(), done, 'Publishes our nickname (vCard4, XEP-0292).'),
  setAvatar: op(z.object({ accountId: IdSchema, dataUrl: z.string().max(200_000) }).strict(), done, 'Publishes our picture (XEP-0084): a PNG or JPEG data: URL of at most 64 KiB.'),
  newBackupCode: op(account, z.object({ backupCode: z.string() }), 'Publishes a fresh secret-key backup and returns its code.'),

  settings: op(none, SettingsSchema, 'Theme and notification settings.'),
  setSettings: op(SettingsSchema, SettingsSchema, 'Saves the settings.'),
  logs: op(none, z.object({ lines: z.array(z.string()) }), 'The recent log, redacted (no IP addresses, no addresses of people).'),
} as const;

export type Operations = typeof operations;
export type OpName = keyof Operations;
export type OpInput<N extends OpName> = z.input<Operations[N]['input']>;
export type OpOutput<N extends OpName> = z.output<Operations[N]['output']>;
export const OP_NAMES = Object.keys(operations) as OpName[];

export const EventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('mode'), status: ModeStatusSchema }),
  z.object({ type: z.literal('tor'), status: TorStatusSchema }),
  z.object({ type: z.literal('account'), account: AccountViewSchema }),
  z.object({ type: z.literal('accounts') }),
  z.object({ type: z.literal('message'), accountId: IdSchema, peer: z.string(), message: MessageViewSchema }),
  z.object({ type: z.literal('messageState'), conversationId: IdSchema, id: z.string(), state: MessageStateSchema }),
  z.object({ type: z.literal('contacts'), accountId: IdSchema }),
  z.object({ type: z.literal('keyWarning'), accountId: IdSchema, peer: z.string(), fingerprint: FingerprintSchema, kind: z.enum(['new', 'changed']) }),
  z.object({ type: z.literal('rejected'), accountId: IdSchema, peer: z.string(), error: ApiErrorSchema }),
  z.object({ type: z.literal('connections') }),
  z.object({ type: z.literal('profile') }),
  /** The OS opened an xmpp: link with Cove (Electron's protocol handler): the UI offers to add the contact. */
  z.object({ type: z.literal('openUri'), uri: z.string().regex(/^xmpp:/i).max(4096) }),
]);
export type CoveEvent = z.infer<typeof EventSchema>;

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: z.infer<typeof ApiErrorSchema> };

/** What `window.cove` is, in Electron (preload) and in the browser (bridge client). */
export type CoveApi = { readonly [N in OpName]: (input: OpInput<N>) => Promise<Result<OpOutput<N>>> } & {
  /** Calls `listener` for every event; returns the function that stops it. */
  readonly subscribe: (listener: (event: CoveEvent) => void) => () => void;
};

/** What serves the contract: the core behind IPC or the bridge. Inputs are already parsed. */
export type Handlers = { readonly [N in OpName]: (input: z.output<Operations[N]['input']>) => Promise<OpOutput<N>> };

/** Parses an untrusted call: the operation must exist and its input must match. */
export function parseCall(name: unknown, input: unknown): { ok: true; name: OpName; input: unknown } | { ok: false; error: { code: string; message: string } } {
  if (typeof name !== 'string' || !Object.hasOwn(operations, name)) return { ok: false, error: { code: 'api-unknown-operation', message: 'Cove does not know this operation.' } };
  const opName = name as OpName;
  const parsed = operations[opName].input.safeParse(input ?? {});
  if (!parsed.success) return { ok: false, error: { code: 'api-bad-input', message: `The request to ${opName} was not valid: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ')}` } };
  return { ok: true, name: opName, input: parsed.data };
}

