/**
 * The data that crosses the boundary between the UI and the core (zod): every operation's input and output and every
 * event is built from these. Plain JSON only (no Date, no Buffer): the same values cross Electron IPC and the
 * browser bridge's WebSocket unchanged. Imports nothing from node: the renderer uses these schemas too.
 */
import { z } from 'zod';
import { WhoSeesWhatSchema } from '../net/who-sees-what-schema';

export { WhoSeesWhatSchema };

const text = (max: number) => z.string().max(max);
/** A bare JID as the user typed it; the core checks it properly (stringprep, no resource). */
export const JidSchema = z.string().min(3).max(3071);
export const HostSchema = z.string().min(1).max(253);
export const PortSchema = z.number().int().min(1).max(65_535);
export const IdSchema = z.number().int().nonnegative();
export const FingerprintSchema = z.string().regex(/^[0-9A-F]{40}$|^[0-9A-F]{64}$/);

export const ApiErrorSchema = z.object({ code: z.string(), message: z.string() });

export const EndpointSchema = z.object({ host: HostSchema, port: PortSchema, kind: z.enum(['clearnet', 'onion']) });
export type Endpoint = z.infer<typeof EndpointSchema>;

// ---- app and profile --------------------------------------------------------------------------------------------

export const ProfileStateSchema = z.enum(['none', 'locked', 'open']);
export const AppInfoSchema = z.object({
  version: z.string(),
  platform: z.string(),
  /** 'electron': the desktop app; 'bridge': the same UI in a browser, served by the loopback bridge. */
  shell: z.enum(['electron', 'bridge']),
  profile: ProfileStateSchema,
  /** Whether the OS keychain can hold the profile key (Electron safeStorage); else a passphrase is needed. */
  keychain: z.boolean(),
});
export type AppInfo = z.infer<typeof AppInfoSchema>;

export const ProfileCreateSchema = z.discriminatedUnion('protection', [
  z.object({ protection: z.literal('passphrase'), passphrase: z.string().min(8).max(1024) }),
  z.object({ protection: z.literal('keychain') }),
]);
export const ExportSummarySchema = z.object({ file: z.string(), accounts: z.number(), conversations: z.number(), messages: z.number() });

// ---- privacy modes ----------------------------------------------------------------------------------------------

export const ModeIdSchema = z.enum(['direct', 'socks5', 'vpn', 'tor']);
export type ModeIdValue = z.infer<typeof ModeIdSchema>;

export const Socks5SettingsSchema = z.object({
  /** An IP literal: the proxy's own name is never looked up (no DNS outside the proxy). */
  host: z.string().min(2).max(45),
  port: PortSchema,
  username: text(255).optional(),
  password: text(255).optional(),
});
export const ModeSettingsSchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('direct') }),
  z.object({ mode: z.literal('socks5'), socks5: Socks5SettingsSchema }),
  // The kill switch is always on: VPN mode fails closed like the proxy modes (never a direct fallback).
  z.object({ mode: z.literal('vpn'), vpn: z.object({ interface: z.string().min(1).max(15) }) }),
  z.object({ mode: z.literal('tor') }),
]);
export type ModeSettings = z.infer<typeof ModeSettingsSchema>;

export const ModeStatusSchema = z.object({
  mode: ModeIdSchema,
  phase: z.enum(['ready', 'switching', 'failed']),
  /** The mode being switched to, while switching. */
  to: ModeIdSchema.optional(),
  /** What went wrong with the last switch: the chosen mode stays in force and refuses every connection (never a fallback). */
  error: ApiErrorSchema.optional(),
  /** The settings in force (no password). */
  socks5: Socks5SettingsSchema.omit({ password: true }).optional(),
  /** holding: the tunnel is down and the kill switch holds every connection (nothing leaves). */
  vpn: z.object({ interface: z.string(), holding: z.boolean() }).optional(),
});
export type ModeStatus = z.infer<typeof ModeStatusSchema>;

export const VpnInterfaceSchema = z.object({ name: z.string(), up: z.boolean(), addresses: z.array(z.string()), problem: z.string().optional() });

export const TorStatusSchema = z.object({
  state: z.enum(['off', 'starting', 'bootstrapping', 'ready', 'down', 'failed']),
  progress: z.number().min(0).max(100),
  summary: z.string(),
  /** Connection Assist's suggestion when bootstrap stalls. */
  assist: z.object({ suggestion: z.string(), reason: z.string() }).optional(),
  version: z.string().optional(),
  /** True when the tor in use is older than the minimum Cove pins. */
  outdated: z.boolean(),
  bridges: z.object({ enabled: z.boolean(), lines: z.array(z.string()) }),
  error: ApiErrorSchema.optional(),
});
export type TorStatus = z.infer<typeof TorStatusSchema>;

export const HopViewSchema = z.object({ kind: z.enum(['direct', 'proxy', 'tunnel', 'tor']), host: z.string(), port: z.number() });
export const ConnectionViewSchema = z.object({
  id: z.string(),
  purpose: z.string(),
  /** The account's opaque label ("Account 1"), never its address. */
  account: z.string().nullable(),
  mode: ModeIdSchema,
  target: z.string(),
  hops: z.array(HopViewSchema),
  openedAt: z.number(),
  bytesIn: z.number(),
  bytesOut: z.number(),
});
export const CircuitViewSchema = z.object({ id: z.string(), status: z.string(), path: z.array(z.object({ nickname: z.string(), fingerprint: z.string() })), purpose: z.string().optional() });
export const ConnectionsSchema = z.object({ connections: z.array(ConnectionViewSchema), circuits: z.array(CircuitViewSchema) });
export type Connections = z.infer<typeof ConnectionsSchema>;

export const LeakCheckViewSchema = z.object({
  supported: z.boolean(),
  ok: z.boolean(),
  checked: z.number(),
  /** One line per socket that should not exist (redacted: ports and kinds, no addresses but loopback). */
  leaks: z.array(z.string()),
  note: z.string().optional(),
});

// ---- gateways ---------------------------------------------------------------------------------------------------

export const GatewayViewSchema = z.object({
  domain: z.string(),
  endpoints: z.array(EndpointSchema),
  operator: z.string(),
  health: z.enum(['up', 'down', 'unknown']),
  revoked: z.boolean(),
});
export const GatewaysSchema = z.object({
  gateways: z.array(GatewayViewSchema),
  /** Picked at random among the healthy ones (spread people across servers). */
  suggested: z.string().nullable(),
  serial: z.number().nullable(),
  /** When the directory was last refreshed, or why not. */
  refreshedAt: z.number().nullable(),
  problem: z.string().optional(),
});
export type Gateways = z.infer<typeof GatewaysSchema>;

// ---- accounts ---------------------------------------------------------------------------------------------------

export const AccountStateSchema = z.enum(['offline', 'connecting', 'online', 'error']);
export const AccountViewSchema = z.object({
  id: IdSchema,
  jid: z.string(),
  /** "Account 1": what the connections panel shows instead of the address. */
  label: z.string(),
  state: AccountStateSchema,
  error: ApiErrorSchema.optional(),
  fingerprint: FingerprintSchema.nullable(),
  endpoints: z.array(EndpointSchema),
  /** How many contacts are on the same gateway (spread: fewer is better for everyone). */
  contactsOnGateway: z.number(),
  contacts: z.number(),
  /** The gateway was revoked in the signed directory: move the account. */
  gatewayRevoked: z.boolean(),
});
export type AccountView = z.infer<typeof AccountViewSchema>;

export const FormFieldViewSchema = z.object({
  var: z.string(),
  type: z.string(),
  label: z.string().optional(),
  required: z.boolean(),
  value: z.array(z.string()),
  options: z.array(z.object({ label: z.string().optional(), value: z.string() })),
  /** A CAPTCHA picture or sound, as a data: URL. */
  media: z.array(z.object({ type: z.string(), dataUrl: z.string() })),
});
export const RegistrationFormSchema = z.object({
  instructions: z.string().optional(),
  /** A data form (XEP-0004) the server asks to be filled; empty when the server only asks a name and password. */
  fields: z.array(FormFieldViewSchema),
  captcha: z.boolean(),
});

export const AccountCreateSchema = z.object({
  domain: HostSchema,
  endpoints: z.array(EndpointSchema).min(1).max(8),
  username: z.string().min(1).max(1023),
  password: z.string().min(8).max(1024),
  /** Answers to the server's data form / CAPTCHA, by field var. */
  answers: z.record(z.string(), z.string().max(4096)).optional(),
});
export const AccountLoginSchema = z.object({
  jid: JidSchema,
  password: z.string().min(1).max(1024),
  endpoints: z.array(EndpointSchema).min(1).max(8),
  /** The backup code of the account's secret key (another device made one); without it a new key is made. */
  backupCode: z.string().max(64).optional(),
});
export const AccountCreatedSchema = z.object({ account: AccountViewSchema, backupCode: z.string().nullable() });

// ---- chats ------------------------------------------------------------------------------------------------------

export const MessageStateSchema = z.enum(['queued', 'sent', 'acked', 'delivered', 'read']);
export const MessageViewSchema = z.object({
  seq: z.number(),
  conversationId: IdSchema,
  id: z.string(),
  direction: z.enum(['in', 'out']),
  body: z.string(),
  time: z.number(),
  state: MessageStateSchema,
  encrypted: z.boolean(),
});
export type MessageView = z.infer<typeof MessageViewSchema>;
export const CursorSchema = z.object({ time: z.number(), seq: z.number() });
export const PageSchema = z.object({ messages: z.array(MessageViewSchema), next: CursorSchema.nullable() });

export const ChatViewSchema = z.object({
  conversationId: IdSchema,
  accountId: IdSchema,
  peer: z.string(),
  name: z.string().nullable(),
  last: MessageViewSchema.nullable(),
  unread: z.number(),
  /** The contact's keys: 'ok' all trusted, 'unverified' TOFU only, 'changed' a new key waits for a decision, 'none'. */
  keys: z.enum(['verified', 'unverified', 'changed', 'none']),
  draft: z.string(),
  /** The contact's picture (a data: URL), cached. */
  avatar: z.string().nullable(),
});
export type ChatView = z.infer<typeof ChatViewSchema>;

// ---- contacts and keys ------------------------------------------------------------------------------------------

export const TrustSchema = z.enum(['tofu', 'verified', 'changed', 'rejected']);
export const KeyViewSchema = z.object({ fingerprint: FingerprintSchema, trust: TrustSchema, firstSeen: z.number() });
export const ContactViewSchema = z.object({
  jid: z.string(),
  name: z.string().nullable(),
  subscription: z.enum(['none', 'to', 'from', 'both']),
  /** We asked to see their presence and wait for their answer. */
  asked: z.boolean(),
  /** They ask to see ours: approve or deny. */
  request: z.boolean(),
  online: z.boolean(),
  blocked: z.boolean(),
  keys: z.array(KeyViewSchema),
  /** Their vCard4 nickname and their picture (a data: URL), cached. */
  nickname: z.string().nullable(),
  avatar: z.string().nullable(),
});
export type ContactView = z.infer<typeof ContactViewSchema>;
export const KeysViewSchema = z.object({ own: FingerprintSchema, ownJid: z.string(), peer: z.string(), keys: z.array(KeyViewSchema) });

// ---- settings ---------------------------------------------------------------------------------------------------

export const SettingsSchema = z.object({
  theme: z.enum(['system', 'light', 'dark']),
  notifications: z.object({ enabled: z.boolean(), showText: z.boolean() }),
});
export type Settings = z.infer<typeof SettingsSchema>;
