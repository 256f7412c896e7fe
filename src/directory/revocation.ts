/**
 * Honouring gateway revocations: which of the user's accounts live on a gateway the directory has revoked. The
 * warnings are for the UI (an account's settings, a banner); they name the account and its server because the user
 * must know which one to move, so they must never be logged as they are.
 */
import { tryNormalizeBareJid } from '../crypto/encoding';
import type { DirectoryDocument } from './schema';

export interface RevokedGatewayWarning {
  /** The account's bare JID, as given (normalised). For the UI only. */
  readonly account: string;
  readonly domain: string;
  /** The day the network revoked the gateway (YYYY-MM-DD). */
  readonly revokedOn: string;
  readonly reason: string;
  readonly message: string;
}

/** One warning per account (bare JID) whose domain the directory revokes; addresses that are not JIDs are skipped. */
export function revokedGatewayWarnings(document: DirectoryDocument, accountJids: Iterable<string>): RevokedGatewayWarning[] {
  const revoked = new Map(document.revocations.gateways.map((r) => [r.domain, r]));
  const out: RevokedGatewayWarning[] = [];
  const seen = new Set<string>();
  for (const raw of accountJids) {
    const jid = tryNormalizeBareJid(raw);
    if (jid === null || seen.has(jid)) continue;
    seen.add(jid);
    const domain = domainOf(jid);
    const r = revoked.get(domain);
    if (r === undefined) continue;
    out.push({
      account: jid,
      domain,
      revokedOn: r.date,
      reason: r.reason,
      message: `The server ${domain} was removed from the Cove network on ${r.date} (${r.reason}). Messages sent through it may not be safe: move this account to another server.`,
    });
  }
  return out;
}

/** The domain part of a normalised bare JID. */
export function domainOf(bareJid: string): string {
  return bareJid.slice(bareJid.lastIndexOf('@') + 1);
}
