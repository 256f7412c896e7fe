/**
 * Reading XEP-0313 stanzas without a server (mam.ts runs the queries): one archive result message, the <fin/> of a
 * page, and XEP-0082 time stamps. Every function here returns a typed verdict and never throws.
 */
import type { Element, JID } from '@xmpp/client';
import { forwardedMessage, NS_DELAY, type RecordRejectionReason } from './carbons';
import { personJid, safeJid } from './validate';

const NS_MAM = 'urn:xmpp:mam:2';
const NS_RSM = 'http://jabber.org/protocol/rsm';
const MAX_ID = 256;

/** One message of our archive. */
export interface ArchivedMessage {
  /** 'in': a contact sent it to us; 'out': one of our devices sent it. */
  readonly direction: 'in' | 'out';
  /** The archived message, as it was sent. */
  readonly message: Element;
  /** Bare JID of the contact the conversation is with. */
  readonly peer: string;
  /** When the server archived it (the <delay/> stamp). */
  readonly archivedAt: Date;
  /** The server's archive id (the RSM cursor). */
  readonly archiveId: string;
  readonly via: 'mam';
}

export type ArchiveParse =
  | { readonly kind: 'result'; readonly queryId: string; readonly record: ArchivedMessage }
  | { readonly kind: 'rejected'; readonly reason: RecordRejectionReason; readonly queryId?: string };

// XEP-0082 DateTime, read liberally: 'T' or space, optional fraction, Z or ±hh:mm or ±hhmm (seen from real clients).
const STAMP = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})$/i;

/** A XEP-0082 time stamp as a Date; undefined when it is not one. */
export function parseStamp(text: string | undefined): Date | undefined {
  if (text === undefined || text.length > 64) return undefined;
  const m = STAMP.exec(text.trim());
  if (m === null) return undefined;
  const [, day, time, fraction, zone] = m;
  if (day === undefined || time === undefined || zone === undefined) return undefined;
  const tz = zone.toUpperCase() === 'Z' ? 'Z' : zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const ms = fraction === undefined ? '' : fraction.slice(0, 4);
  const date = new Date(`${day}T${time}${ms}${tz}`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

const validId = (id: string | undefined): id is string => id !== undefined && id.length > 0 && id.length <= MAX_ID;

/**
 * Reads one archive result addressed to the account `ourBareJid`. `isOurQuery` says whether we wait for results of
 * this query id. Checks, in order: the outer `from` (absent or our bare JID, else forged), the query id, then the
 * shape (one <result/>, an id, one <forwarded/> with a delay stamp and one message of a conversation of ours).
 */
export function parseArchiveResult(outer: Element, ourBareJid: string, isOurQuery: (queryId: string) => boolean): ArchiveParse {
  const fromAttr = outer.attrs.from;
  if (fromAttr !== undefined) {
    const from = safeJid(fromAttr);
    if (from === undefined || from.resource.length > 0 || from.toString() !== ourBareJid) return { kind: 'rejected', reason: 'forged-archive-result' };
  }
  const results = outer.getChildren('result', NS_MAM);
  const result = results[0];
  if (result === undefined) return { kind: 'rejected', reason: 'bad-archive-result' };
  const queryId = result.attrs.queryid;
  if (!validId(queryId) || !isOurQuery(queryId)) return { kind: 'rejected', reason: 'unknown-query' };
  const bad = { kind: 'rejected', reason: 'bad-archive-result', queryId } as const;
  if (results.length !== 1) return bad;
  const archiveId = result.attrs.id;
  if (!validId(archiveId)) return bad;
  const inner = forwardedMessage(result);
  if (inner === undefined) return bad;
  const delays = inner.forwarded.getChildren('delay', NS_DELAY);
  const archivedAt = delays.length === 1 ? parseStamp(delays[0]?.attrs.stamp) : undefined;
  if (archivedAt === undefined) return bad;
  const { message } = inner;
  const innerFrom = safeJid(message.attrs.from);
  const innerTo = safeJid(message.attrs.to);
  if (innerFrom === undefined || innerTo === undefined) return bad;
  let direction: 'in' | 'out';
  let peer: string | undefined;
  if (bare(innerFrom) === ourBareJid) {
    direction = 'out';
    peer = personJid(bare(innerTo));
  } else if (bare(innerTo) === ourBareJid) {
    direction = 'in';
    peer = personJid(bare(innerFrom));
  } else {
    return bad;
  }
  if (peer === undefined || peer === ourBareJid) return bad;
  return { kind: 'result', queryId, record: { direction, message, peer, archivedAt, archiveId, via: 'mam' } };
}

export interface Fin {
  readonly complete: boolean;
  /** RSM <last/>: the id to page on from. */
  readonly last?: string;
}

/** The <fin/> that ends a page (the iq result's child); undefined when it is missing or malformed. */
export function parseFin(fin: Element | undefined): Fin | undefined {
  if (fin?.is('fin', NS_MAM) !== true) return undefined;
  const complete = fin.attrs.complete;
  if (complete !== undefined && !['true', 'false', '1', '0'].includes(complete)) return undefined;
  const sets = fin.getChildren('set', NS_RSM);
  if (sets.length > 1) return undefined;
  const lastEls = sets[0]?.getChildren('last') ?? [];
  if (lastEls.length > 1) return undefined;
  const last = lastEls[0]?.text();
  if (last !== undefined && !validId(last)) return undefined;
  return { complete: complete === 'true' || complete === '1', ...(last === undefined ? {} : { last }) };
}

function bare(j: JID): string {
  return j.bare().toString();
}
