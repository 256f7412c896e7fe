/**
 * Writing a new directory (the CLI's `create`): start from an input file, or else from the previous directory, apply
 * the additions given as flags, set fresh dates, and bump the serial. The input is ordinary JSON (any layout, any key
 * order): only the output is canonical. Gateways come out sorted by domain, so that a diff between two directories
 * reads well.
 */
import { z } from 'zod';
import { DirectoryMalformedError } from './errors';
import { DIRECTORY_VERSION, GatewayRevocationSchema, GatewaySchema, SignerRevocationSchema, validateDirectory, type DirectoryDocument, type Gateway } from './schema';

/** What an operator writes by hand: the content, without version, serial or dates (those are set by `create`). */
export const DirectoryInputSchema = z.strictObject({
  threshold: z.int().min(1).max(64).optional(),
  gateways: z.array(GatewaySchema).max(10_000).default([]),
  revocations: z
    .strictObject({
      gateways: z.array(GatewayRevocationSchema).default([]),
      signers: z.array(SignerRevocationSchema).default([]),
    })
    .default({ gateways: [], signers: [] }),
});
export type DirectoryInput = z.infer<typeof DirectoryInputSchema>;

export interface CreateOptions {
  /** The content; if absent, the previous directory's content (or nothing). */
  input?: DirectoryInput | undefined;
  /** The directory this one replaces: its serial is exceeded, its content reused when there is no input. */
  previous?: DirectoryDocument | undefined;
  /** Gateways to add (a gateway of the same domain is replaced). */
  addGateways?: readonly Gateway[];
  /** Gateways to revoke (they are also taken off the list). */
  revokeGateways?: readonly { domain: string; reason: string }[];
  revokeSigners?: readonly { fingerprint: string; reason?: string }[];
  /** Default: the previous serial + 1, or 1. Must exceed the previous serial. */
  serial?: number | undefined;
  threshold?: number | undefined;
  /** How long the directory is valid (default 90 days). */
  validDays?: number;
  now?: Date;
}

const DAY_MS = 86_400_000;

export function createDirectory(o: CreateOptions): DirectoryDocument {
  const now = o.now ?? new Date();
  const base: DirectoryInput = o.input ?? {
    gateways: o.previous?.gateways ?? [],
    revocations: o.previous?.revocations ?? { gateways: [], signers: [] },
    ...(o.previous === undefined ? {} : { threshold: o.previous.threshold }),
  };
  const day = now.toISOString().slice(0, 10);
  const gateways = new Map(base.gateways.map((g) => [g.domain, g]));
  for (const g of o.addGateways ?? []) gateways.set(g.domain, g);
  const revokedGateways = new Map(base.revocations.gateways.map((r) => [r.domain, r]));
  for (const r of o.revokeGateways ?? []) {
    revokedGateways.set(r.domain, { domain: r.domain, date: day, reason: r.reason });
  }
  for (const domain of revokedGateways.keys()) gateways.delete(domain);
  const revokedSigners = new Map(base.revocations.signers.map((r) => [r.fingerprint, r]));
  for (const r of o.revokeSigners ?? []) {
    revokedSigners.set(r.fingerprint, { fingerprint: r.fingerprint, date: day, ...(r.reason === undefined ? {} : { reason: r.reason }) });
  }

  const previousSerial = o.previous?.serial ?? 0;
  const serial = o.serial ?? previousSerial + 1;
  if (serial <= previousSerial) throw new DirectoryMalformedError(`serial ${String(serial)} is not greater than the previous directory's (${String(previousSerial)})`);
  const validDays = o.validDays ?? 90;
  if (!Number.isInteger(validDays) || validDays < 1 || validDays > 3660) throw new DirectoryMalformedError('the validity must be 1 to 3660 days');
  const issued = Math.floor(now.getTime() / 1000) * 1000;
  const iso = (t: number): string => new Date(t).toISOString().replace('.000Z', 'Z');
  const byKey = <T>(m: Map<string, T>): T[] => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
  return validateDirectory({
    version: DIRECTORY_VERSION,
    serial,
    issued: iso(issued),
    expires: iso(issued + validDays * DAY_MS),
    threshold: o.threshold ?? base.threshold ?? 2,
    gateways: byKey(gateways),
    revocations: { gateways: byKey(revokedGateways), signers: byKey(revokedSigners) },
  });
}

/** Reads the hand-written input (JSON.parse, then the input schema). */
export function parseDirectoryInput(text: string): DirectoryInput {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new DirectoryMalformedError(`the input is not JSON: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const r = DirectoryInputSchema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new DirectoryMalformedError(`input ${issue?.path.map(String).join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
}

/**
 * A gateway from a command-line spec: `domain` (endpoint domain:5222) or `domain=host:port[,host:port…]`; a host
 * ending in .onion makes an onion endpoint.
 */
export function gatewayFromSpec(spec: string, operator: Gateway['operator'], added: string): Gateway {
  const [domain = '', list] = spec.split('=', 2);
  const endpoints = (list ?? `${domain}:5222`).split(',').map((hp) => {
    const m = /^(.+):(\d{1,5})$/.exec(hp.trim());
    if (m === null) throw new DirectoryMalformedError(`endpoint "${hp}" is not host:port`);
    const host = (m[1] ?? '').replace(/^\[|\]$/g, '');
    return { host, port: Number(m[2]), kind: host.endsWith('.onion') ? ('onion' as const) : ('clearnet' as const) };
  });
  const r = GatewaySchema.safeParse({ domain, endpoints, operator, added });
  if (!r.success) throw new DirectoryMalformedError(`gateway "${spec}": ${r.error.issues[0]?.path.map(String).join('.') ?? ''} ${r.error.issues[0]?.message ?? 'invalid'}`);
  return r.data;
}
