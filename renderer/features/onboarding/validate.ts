/** Checks and wording for the onboarding forms (pure functions: the core checks everything again). */
import type { Endpoint, Gateways } from '../../../src/api/contract';

export type GatewayView = Gateways['gateways'][number];

export const MIN_PASSPHRASE = 8;
export const MIN_PASSWORD = 8;

/** A rough, honest hint about a passphrase (length and variety; no promise of safety). */
export function passphraseStrength(p: string): { level: 'short' | 'weak' | 'fair' | 'strong'; text: string } {
  if (p.length < MIN_PASSPHRASE) return { level: 'short', text: `Too short: use at least ${MIN_PASSPHRASE} characters.` };
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((r) => r.test(p)).length;
  const words = p.trim().split(/\s+/).length;
  if (p.length >= 20 || (p.length >= 14 && (classes >= 3 || words >= 3))) return { level: 'strong', text: 'Strong.' };
  if (p.length >= 12 || classes >= 3) return { level: 'fair', text: 'Fair: a longer passphrase is harder to guess.' };
  return { level: 'weak', text: 'Weak: add more words or characters.' };
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;

/** A DNS name (the XMPP domain or a server's name), dots between labels; single-label names such as localhost too. */
export function isHostName(s: string): boolean {
  if (s.length === 0 || s.length > 253) return false;
  return s.replace(/\.$/, '').split('.').every((label) => LABEL.test(label));
}

function isIpv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

function isIpv6(s: string): boolean {
  return /^[0-9a-f:.]+$/i.test(s) && s.includes(':') && s.split('::').length <= 2 && s.length <= 45;
}

/** Why a domain cannot be used, or null. */
export function domainProblem(domain: string): string | null {
  if (domain.length === 0) return 'Enter the domain of your server, for example example.org.';
  if (domain.endsWith('.onion')) return 'Enter the domain people use in addresses (name@domain); put an .onion address in Server address.';
  if (!isHostName(domain)) return 'This is not a valid domain: letters, digits, dashes and dots only.';
  return null;
}

/** Why a host (name, .onion or IP address) cannot be used, or null. */
export function hostProblem(host: string): string | null {
  if (host.length === 0) return null; // empty: the domain itself
  if (isIpv4(host) || isIpv6(host) || isHostName(host)) return null;
  return 'This is not a valid server address: a name, an .onion address or an IP address.';
}

/** The port as a number, or a sentence saying why not. */
export function parsePort(port: string): number | string {
  if (!/^\d{1,5}$/.test(port.trim())) return 'Enter a port number between 1 and 65535.';
  const n = Number(port.trim());
  return n >= 1 && n <= 65_535 ? n : 'Enter a port number between 1 and 65535.';
}

export function endpointFor(host: string, port: number): Endpoint {
  return { host, port, kind: host.toLowerCase().endsWith('.onion') ? 'onion' : 'clearnet' };
}

/** "clearnet + onion" */
export function kindsText(endpoints: readonly Endpoint[]): string {
  const kinds = [...new Set(endpoints.map((e) => e.kind))];
  return kinds.length === 0 ? 'no addresses' : kinds.join(' + ');
}

export function healthText(health: GatewayView['health']): { dot: string; text: string } {
  if (health === 'up') return { dot: 'dot-ok', text: 'Up' };
  if (health === 'down') return { dot: 'dot-danger', text: 'Not answering' };
  return { dot: 'dot-muted', text: 'Not checked yet' };
}

/** The gateways a new account can use: not revoked, with at least one address; the suggested one first. */
export function offeredGateways(g: Gateways): GatewayView[] {
  const usable = g.gateways.filter((x) => !x.revoked && x.endpoints.length > 0);
  return [...usable.filter((x) => x.domain === g.suggested), ...usable.filter((x) => x.domain !== g.suggested)];
}

/** Why a username (the part before @) cannot be used, or null. */
export function usernameProblem(u: string): string | null {
  if (u.length === 0) return 'Choose a username.';
  if (/[\s"&'/:<>@]/.test(u)) return 'A username cannot contain spaces or any of " & \' / : < > @.';
  if (u.length > 1023) return 'This username is too long.';
  return null;
}

/** Why a JID typed to sign in cannot be used, or null. */
export function jidProblem(jid: string): string | null {
  const at = jid.indexOf('@');
  if (at <= 0 || at !== jid.lastIndexOf('@') || at === jid.length - 1 || /\s/.test(jid)) return 'Enter your full address, for example name@example.org.';
  return null;
}

/** The domain part of a JID (lower case), or ''. */
export function jidDomain(jid: string): string {
  return (jid.split('@')[1] ?? '').split('/')[0]?.toLowerCase() ?? '';
}

/** A backup code in groups of four for reading ("ABCD-EFGH-…" or without dashes). */
export function codeGroups(code: string): string[] {
  const compact = code.replace(/[\s-]/g, '');
  return compact.match(/.{1,4}/g) ?? [];
}
