/**
 * The server directory, version 1: which gateways (XMPP servers) the Cove network vouches for, how to reach each
 * (clearnet host:port and .onion), who runs it, and which gateways and network signing keys have been revoked.
 *
 *   {"expires":"2026-09-01T00:00:00Z","gateways":[{"added":"2026-01-10","domain":"a.test","endpoints":[{"host":"a.test",
 *    "kind":"clearnet","port":5222}],"operator":{"contact":"mailto:ops@a.test","name":"A"}}],"issued":"2026-06-01T00:00:00Z",
 *    "revocations":{"gateways":[],"signers":[]},"serial":7,"threshold":2,"version":1}
 *
 * Strict: unknown keys are refused (a new field needs a new `version`), every string is bounded, dates are real
 * calendar dates, domains are lower-case, and a gateway cannot be both listed and revoked. The signed bytes are the
 * canonical form of this object (canonical.ts).
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { canonicalBytes, parseCanonical } from './canonical';
import { DirectoryMalformedError } from './errors';

export const DIRECTORY_VERSION = 1;
/** Largest directory (and signature bundle) read, in bytes. ~100 gateways take about 25 KB. */
export const MAX_DIRECTORY_BYTES = 1024 * 1024;

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
/** A lower-case DNS name of at least two labels, no trailing dot. */
const DOMAIN = new RegExp(`^(?=.{1,253}$)${LABEL}(?:\\.${LABEL})+$`);
/** A v3 onion service address (56 base32 characters); v2 onions are long gone. */
export const ONION_V3 = /^[a-z2-7]{56}\.onion$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

const isRealTime = (s: string): boolean => {
  const t = Date.parse(s);
  return Number.isFinite(t) && new Date(t).toISOString().replace('.000Z', 'Z') === s;
};

/** UTC, to the second: `2026-06-01T00:00:00Z`. */
export const TimestampSchema = z.string().regex(TIMESTAMP, 'a UTC time as YYYY-MM-DDTHH:MM:SSZ').refine(isRealTime, 'not a real date and time');
/** A calendar day: `2026-06-01`. */
export const DaySchema = z.string().regex(DAY, 'a day as YYYY-MM-DD').refine((s) => isRealTime(`${s}T00:00:00Z`), 'not a real date');

export const DomainSchema = z
  .string()
  .regex(DOMAIN, 'a lower-case domain name')
  .refine((d) => !d.endsWith('.onion'), 'a gateway domain cannot be an onion address (list it as an endpoint)');

/** Upper-case hex fingerprint of an OpenPGP v4 (40 digits) or v6 (64 digits) key. */
export const FingerprintSchema = z.string().regex(/^(?:[0-9A-F]{40}|[0-9A-F]{64})$/, 'an upper-case hex OpenPGP fingerprint');

export const EndpointSchema = z
  .strictObject({
    /** A host name or IP literal for `clearnet`; a v3 .onion address for `onion`. */
    host: z.string().min(1).max(253),
    port: z.int().min(1).max(65535),
    kind: z.enum(['clearnet', 'onion']),
  })
  .superRefine((e, ctx) => {
    const onion = ONION_V3.test(e.host);
    if (e.kind === 'onion' && !onion) ctx.addIssue({ code: 'custom', path: ['host'], message: 'an onion endpoint needs a v3 .onion address' });
    if (e.kind === 'clearnet' && (e.host.endsWith('.onion') || (isIP(e.host) === 0 && !DOMAIN.test(e.host)))) {
      ctx.addIssue({ code: 'custom', path: ['host'], message: 'a clearnet endpoint needs a lower-case host name or an IP address' });
    }
  });

export const OperatorSchema = z.strictObject({
  name: z.string().min(1).max(200),
  /** How to reach the operator: a mailto:, https: or xmpp: URI. */
  contact: z.string().max(300).regex(/^(?:mailto|https|xmpp):[^\s]+$/, 'a mailto:, https: or xmpp: URI'),
});

export const GatewaySchema = z
  .strictObject({
    domain: DomainSchema,
    endpoints: z.array(EndpointSchema).min(1).max(16),
    operator: OperatorSchema,
    added: DaySchema,
  })
  .superRefine((g, ctx) => {
    const seen = new Set<string>();
    for (const e of g.endpoints) {
      const key = `${e.host}:${String(e.port)}`;
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['endpoints'], message: `endpoint ${key} is listed twice` });
      seen.add(key);
    }
  });

export const GatewayRevocationSchema = z.strictObject({ domain: DomainSchema, date: DaySchema, reason: z.string().min(1).max(500) });

export const SignerRevocationSchema = z.strictObject({ fingerprint: FingerprintSchema, date: DaySchema, reason: z.string().min(1).max(500).optional() });

export const DirectorySchema = z
  .strictObject({
    version: z.literal(DIRECTORY_VERSION),
    /** Grows by at least one with every new directory: a client accepts only a serial above its last good copy's. */
    serial: z.int().min(1).max(Number.MAX_SAFE_INTEGER),
    issued: TimestampSchema,
    expires: TimestampSchema,
    /** k: distinct valid network-key signatures needed. A client uses the larger of this and its shipped threshold. */
    threshold: z.int().min(1).max(64),
    gateways: z.array(GatewaySchema).max(10_000),
    revocations: z.strictObject({
      gateways: z.array(GatewayRevocationSchema).max(10_000),
      signers: z.array(SignerRevocationSchema).max(256),
    }),
  })
  .superRefine((d, ctx) => {
    if (Date.parse(d.expires) <= Date.parse(d.issued)) ctx.addIssue({ code: 'custom', path: ['expires'], message: 'expires must be after issued' });
    const dup = (values: readonly string[], path: string, what: string): void => {
      const seen = new Set<string>();
      for (const v of values) {
        if (seen.has(v)) ctx.addIssue({ code: 'custom', path: [path], message: `${what} ${v} is listed twice` });
        seen.add(v);
      }
    };
    dup(d.gateways.map((g) => g.domain), 'gateways', 'gateway');
    dup(d.revocations.gateways.map((r) => r.domain), 'revocations', 'revoked gateway');
    dup(d.revocations.signers.map((r) => r.fingerprint), 'revocations', 'revoked signer');
    const revoked = new Set(d.revocations.gateways.map((r) => r.domain));
    for (const g of d.gateways) {
      if (revoked.has(g.domain)) ctx.addIssue({ code: 'custom', path: ['gateways'], message: `gateway ${g.domain} is both listed and revoked` });
    }
  });

export type DirectoryDocument = z.infer<typeof DirectorySchema>;
export type Gateway = z.infer<typeof GatewaySchema>;
export type Endpoint = z.infer<typeof EndpointSchema>;
export type GatewayRevocation = z.infer<typeof GatewayRevocationSchema>;
export type SignerRevocation = z.infer<typeof SignerRevocationSchema>;

/** Checks a value against the schema; DirectoryMalformedError names the first problem and where it is. */
export function validateDirectory(value: unknown): DirectoryDocument {
  const r = DirectorySchema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const where = issue === undefined || issue.path.length === 0 ? 'the document' : issue.path.map(String).join('.');
  throw new DirectoryMalformedError(`${where}: ${issue?.message ?? 'invalid'}`);
}

/** Reads canonical bytes into a checked document (parseCanonical, then the schema). */
export function parseDirectory(bytes: Uint8Array): DirectoryDocument {
  if (bytes.byteLength > MAX_DIRECTORY_BYTES) throw new DirectoryMalformedError(`it is larger than ${String(MAX_DIRECTORY_BYTES)} bytes`);
  return validateDirectory(parseCanonical(bytes));
}

/** The canonical bytes of a document, after checking it: what `create` writes and signers sign. */
export function serializeDirectory(doc: DirectoryDocument): Uint8Array {
  return canonicalBytes(validateDirectory(doc));
}
