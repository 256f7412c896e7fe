/**
 * Spreading users over the gateways. If every new user took the first gateway of the list, one server would hold
 * (and could watch, or lose) most of the network. So onboarding picks UNIFORMLY AT RANDOM among the healthy gateways,
 * and the UI shows how many of a user's contacts share their gateway, as a nudge.
 *
 * Health is the caller's (a probe through the current privacy mode): 'up', 'down' or 'unknown' (not probed yet, or
 * the probe could not tell). The rule:
 *   - revoked gateways and 'down' ones are never picked;
 *   - if at least one gateway is known 'up', the pick is among the 'up' ones only: a new user should not land on a
 *     server nobody could reach when a working one is known;
 *   - if none is known 'up' (no probe has finished, or probes are impossible in this mode), 'unknown' counts as
 *     healthy and the pick is among the 'unknown' ones: better a random server than none, and better than the first.
 *   So the caller should let every probe finish (or time out) before calling, or the first server to answer would
 *   win every time and the spread would be lost.
 * A gateway without an endpoint usable in the given mode (only .onion endpoints, outside Tor) is left out.
 */
import { randomInt } from 'node:crypto';
import { normalizeBareJid, tryNormalizeBareJid } from '../crypto/encoding';
import type { ModeId } from '../net/transport';
import { NoGatewayError } from './errors';
import { domainOf } from './revocation';
import type { DirectoryDocument, Endpoint, Gateway } from './schema';

export type GatewayHealth = 'up' | 'down' | 'unknown';

/** Returns an integer in [0, bound), uniformly. */
export type RandomIndex = (bound: number) => number;

/** Cryptographically random: the pick should not be predictable from the outside. */
export const secureRandomIndex: RandomIndex = (bound) => randomInt(bound);

export interface PickOptions {
  /** Leave out gateways with no endpoint usable in this mode. */
  mode?: ModeId;
}

/** The rule over any list of usable (not revoked) gateways: the ones known up if there are any, else the unknown ones. */
export function healthiest<T>(usable: readonly T[], state: (g: T) => GatewayHealth): T[] {
  const up = usable.filter((g) => state(g) === 'up');
  return up.length > 0 ? up : usable.filter((g) => state(g) === 'unknown');
}

/** The gateways `pickGateway` chooses among, in directory order (see the rule in the file comment). */
export function healthyGateways(document: DirectoryDocument, health: ReadonlyMap<string, GatewayHealth>, o: PickOptions = {}): Gateway[] {
  const revoked = new Set(document.revocations.gateways.map((r) => r.domain));
  const usable = document.gateways.filter((g) => !revoked.has(g.domain) && (o.mode === undefined || endpointsFor(g, o.mode).length > 0));
  return healthiest(usable, (g) => health.get(g.domain) ?? 'unknown');
}

/** One gateway, uniformly at random among the healthy ones. Throws NoGatewayError if there is none. */
export function pickGateway(
  document: DirectoryDocument,
  health: ReadonlyMap<string, GatewayHealth>,
  random: RandomIndex = secureRandomIndex,
  o: PickOptions = {},
): Gateway {
  const candidates = healthyGateways(document, health, o);
  if (candidates.length === 0) {
    throw new NoGatewayError(document.gateways.length === 0 ? 'the directory lists no server' : 'every server of the directory is down, revoked or unusable in this mode');
  }
  const i = random(candidates.length);
  const picked = Number.isInteger(i) ? candidates[i] : undefined;
  if (picked === undefined) throw new RangeError(`the random source returned ${String(i)}, not an integer in [0, ${String(candidates.length)})`);
  return picked;
}

/** The endpoints of a gateway usable in a mode: under Tor onion ones first, then clearnet; elsewhere clearnet only. */
export function endpointsFor(gateway: Gateway, mode: ModeId): Endpoint[] {
  const clearnet = gateway.endpoints.filter((e) => e.kind === 'clearnet');
  return mode === 'tor' ? [...gateway.endpoints.filter((e) => e.kind === 'onion'), ...clearnet] : clearnet;
}

export interface GatewayShare {
  /** The account's gateway (its JID's domain). */
  readonly domain: string;
  /** Distinct contacts on that same domain. */
  readonly sharing: number;
  /** Distinct valid contact addresses counted. */
  readonly total: number;
}

/**
 * How many of the contacts are on the account's own gateway. Contacts are compared by bare JID (a contact listed
 * twice, or with two resources, counts once); addresses that are not valid JIDs are skipped; the account itself is
 * not its own contact. Throws InvalidJidError if the account's address is not a JID.
 */
export function contactsSharingGateway(accountJid: string, contactJids: Iterable<string>): GatewayShare {
  const me = normalizeBareJid(accountJid);
  const domain = domainOf(me);
  const contacts = new Set<string>();
  for (const c of contactJids) {
    const jid = tryNormalizeBareJid(c);
    if (jid !== null && jid !== me) contacts.add(jid);
  }
  let sharing = 0;
  for (const c of contacts) if (domainOf(c) === domain) sharing++;
  return { domain, sharing, total: contacts.size };
}
