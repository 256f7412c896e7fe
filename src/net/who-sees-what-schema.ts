/**
 * The shape of the "who sees what" model (zod schemas, so the UI contract can reuse them; the TS types are inferred
 * from them). The data is in who-sees-what.ts.
 *
 * A mode's model lists every party exactly once; each party lists every fact exactly once, with whether it learns it
 * ('yes' / 'partly' / 'no'), why, and the seed statements it follows or departs from (`sourceNotes`).
 */
import { z } from 'zod';
import type { ModeId } from './mode-id';
import { SEED_STATEMENTS, SeedStatementIdSchema, SeedStatementSchema, type SeedStatementId } from './who-sees-what-seed';

/** The four transports plus the variant "Tor to the server's .onion address". */
export const PrivacyModeIdSchema = z.enum(['direct', 'socks5', 'vpn', 'tor', 'tor-onion']);
export type PrivacyModeId = z.infer<typeof PrivacyModeIdSchema>;

// Exactly mode-id.ts's ModeId (a compile error if one changes without the other).
const TRANSPORT_MODES = { direct: 'direct', socks5: 'socks5', vpn: 'vpn', tor: 'tor' } as const satisfies { [K in ModeId]: K };
export const TransportModeSchema = z.enum(TRANSPORT_MODES);

export const PartyIdSchema = z.enum([
  'local-network',
  'proxy-operator',
  'vpn-provider',
  'tor-guard',
  'tor-exit',
  'gateway-operator',
  'directory-operator',
  'contact-gateway',
]);
export type PartyId = z.infer<typeof PartyIdSchema>;

export const FactIdSchema = z.enum(['ip-address', 'uses-xmpp', 'gateway', 'metadata', 'content', 'privacy-tool']);
export type FactId = z.infer<typeof FactIdSchema>;

export const KnowsSchema = z.enum(['yes', 'partly', 'no']);
export type Knows = z.infer<typeof KnowsSchema>;

/** A pointer to the seed statement a statement follows, or departs from (XMPP is not a mixnet). */
export const SourceNoteSchema = z.object({
  seed: SeedStatementIdSchema,
  /** The seed statement's label, e.g. "Haven: proxy hides client IP from gateways". */
  label: z.string().min(1),
  relation: z.enum(['follows', 'differs']),
});
export type SourceNote = z.infer<typeof SourceNoteSchema>;

export const StatementSchema = z.object({
  fact: FactIdSchema,
  knows: KnowsSchema,
  /** One sentence for a person: why, or under which condition. */
  why: z.string().min(1),
  sourceNotes: z.array(SourceNoteSchema),
});
export type Statement = z.infer<typeof StatementSchema>;

export const PartyViewSchema = z.object({
  party: PartyIdSchema,
  /** Whether this party takes part at all in this mode (a VPN provider does not in Tor mode). */
  involved: z.boolean(),
  /** Its role in this mode, in words. */
  role: z.string().min(1),
  sees: z.array(StatementSchema),
  sourceNotes: z.array(SourceNoteSchema),
});
export type PartyView = z.infer<typeof PartyViewSchema>;

export const TradeOffAspectSchema = z.enum(['speed', 'startup', 'reliability', 'protection']);
export type TradeOffAspect = z.infer<typeof TradeOffAspectSchema>;

export const TradeOffSchema = z.object({
  aspect: TradeOffAspectSchema,
  /** Rough and relative, 1 (worst) to 5 (best): faster, quicker to start, more reliable, more protective. */
  level: z.number().int().min(1).max(5),
  words: z.string().min(1),
  sourceNotes: z.array(SourceNoteSchema),
});
export type TradeOff = z.infer<typeof TradeOffSchema>;

export const ModeModelSchema = z.object({
  mode: PrivacyModeIdSchema,
  /** The Transport that carries this mode. */
  transport: TransportModeSchema,
  title: z.string().min(1),
  summary: z.string().min(1),
  parties: z.array(PartyViewSchema),
  tradeOffs: z.array(TradeOffSchema),
});
export type ModeModel = z.infer<typeof ModeModelSchema>;

export const FactInfoSchema = z.object({ id: FactIdSchema, label: z.string().min(1), description: z.string().min(1) });
export const PartyInfoSchema = z.object({ id: PartyIdSchema, label: z.string().min(1), description: z.string().min(1) });

export const WhoSeesWhatSchema = z.object({
  facts: z.array(FactInfoSchema),
  parties: z.array(PartyInfoSchema),
  seed: z.object({ title: z.string().min(1), statements: z.array(SeedStatementSchema) }),
  modes: z.array(ModeModelSchema),
});
export type WhoSeesWhat = z.infer<typeof WhoSeesWhatSchema>;

/** A source note that follows the seed statement `seed`. */
export function follows(seed: SeedStatementId): SourceNote {
  return { seed, label: SEED_STATEMENTS[seed].label, relation: 'follows' };
}

/** A source note for a statement that departs from the seed on purpose (the why says how). */
export function differs(seed: SeedStatementId): SourceNote {
  return { seed, label: SEED_STATEMENTS[seed].label, relation: 'differs' };
}
