/**
 * Catching up from the server's message archive (XEP-0313, urn:xmpp:mam:2) after login: what arrived or was sent by
 * our other devices while this one was away. The archive is paged with RSM (XEP-0059): each page asks for what comes
 * after the last archive id seen, until the server says `<fin complete='true'/>`. The last id is kept in a
 * `MamCursorStore` (the profile db in the app; MemoryMamCursorStore in tests), so the next catch-up asks only for what
 * is newer (`<after>`). The cursor moves after each page, once `onPage` (where the caller stores the page) resolved:
 * a crash in between costs a re-fetch, never a lost message (the origin-id deduplicates the repeat).
 *
 * The results arrive as <message/>s before the iq answer. Each is only believed when it comes from our own account
 * (`from` absent — our server — or our bare JID) and carries the id of a query we are waiting for; it must hold one
 * `<forwarded/>` with a delay stamp and one message of a conversation of ours. Anything else is dropped as a typed
 * `rejected` event. Caps: page size, pages and results per catch-up; failures are MamError with a typed reason.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { xml, type Element } from '@xmpp/client';
import { CoveError } from '../api/result';
import type { XmppAccount } from './account';
import type { RecordRejection } from './carbons';
import { XmppRequestError, XmppTimeoutError } from './errors';
import { parseArchiveResult, parseFin, type ArchivedMessage } from './mam-stanzas';
import { guarded } from './validate';

export { parseArchiveResult, parseFin, parseStamp, type ArchivedMessage, type ArchiveParse, type Fin } from './mam-stanzas';

export const NS_MAM = 'urn:xmpp:mam:2';
export const NS_RSM = 'http://jabber.org/protocol/rsm';
const NS_DATA = 'jabber:x:data';

/** Where the last archive id seen is kept between logins. */
export interface MamCursorStore {
  get(): string | undefined | Promise<string | undefined>;
  set(id: string): void | Promise<void>;
}

export class MemoryMamCursorStore implements MamCursorStore {
  constructor(private id?: string) {}
  get(): string | undefined {
    return this.id;
  }
  set(id: string): void {
    this.id = id;
  }
}

export type MamFailure = 'timeout' | 'refused' | 'cursor-gone' | 'bad-response' | 'offline';

const MAM_MESSAGES: Record<MamFailure, string> = {
  timeout: 'The server did not send the message archive in time.',
  refused: 'The server refused to send the message archive.',
  'cursor-gone': 'The server no longer has the last archived message Cove saw: older messages may have expired.',
  'bad-response': 'The server sent a message archive answer Cove did not understand.',
  offline: 'The account is not connected, so the message archive cannot be read now.',
};

export class MamError extends CoveError {
  override name = 'MamError';
  constructor(
    readonly reason: MamFailure,
    options?: ErrorOptions,
  ) {
    super(`mam-${reason}`, MAM_MESSAGES[reason], options);
  }
}

export interface MamOptions {
  /** Results per page (RSM <max/>); default 50. Prosody's default cap is 100. */
  pageSize?: number;
  /** Pages per catch-up; default 20. */
  maxPages?: number;
  /** Results per catch-up; default 1000. What is left is fetched by the next catch-up (the cursor says where). */
  maxResults?: number;
  /** Budget for the whole catch-up; default 60 s. Each page also has the account's request timeout. */
  deadlineMs?: number;
}

export interface CatchUpOptions {
  /** Only the conversation with this bare JID (form field `with`). */
  with?: string;
  /** When there is no cursor yet: start here (form field `start`); default the archive's beginning. */
  start?: Date;
  /** Called with each page's accepted messages, in order; the cursor moves only once it resolved. */
  onPage?: (messages: readonly ArchivedMessage[]) => void | Promise<void>;
}

export interface CatchUpResult {
  /** Accepted messages, oldest first. */
  readonly messages: readonly ArchivedMessage[];
  /** The server said the archive has nothing more (false: a cap was hit; the next catch-up goes on from the cursor). */
  readonly complete: boolean;
  readonly pages: number;
  /** Results dropped (see the `rejected` events). */
  readonly rejected: number;
  /** The cursor after this catch-up. */
  readonly cursor: string | undefined;
}

export interface MamEvents {
  rejected: [rejection: RecordRejection];
}

interface Collector {
  /** The id of the iq that asked: its answer closes the collector (later results are not this page's). */
  readonly iqId: string;
  readonly max: number;
  readonly messages: ArchivedMessage[];
  overflow: boolean;
  rejected: number;
}

/** The <query/> of one page. */
export function buildMamQuery(queryId: string, page: { max: number; after?: string; with?: string; start?: Date }): Element {
  const fields: Element[] = [];
  if (page.with !== undefined) fields.push(xml('field', { var: 'with' }, xml('value', {}, page.with)));
  if (page.start !== undefined) fields.push(xml('field', { var: 'start' }, xml('value', {}, page.start.toISOString())));
  const form =
    fields.length === 0
      ? null
      : xml('x', { xmlns: NS_DATA, type: 'submit' }, xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, NS_MAM)), ...fields);
  const rsm = xml('set', { xmlns: NS_RSM }, xml('max', {}, String(page.max)), page.after === undefined ? null : xml('after', {}, page.after));
  return xml('query', { xmlns: NS_MAM, queryid: queryId }, form, rsm);
}

export class ArchiveCatchUp extends EventEmitter<MamEvents> {
  private readonly pageSize: number;
  private readonly maxPages: number;
  private readonly maxResults: number;
  private readonly deadlineMs: number;
  /** Queries waiting for results, by query id. */
  private readonly open = new Map<string, Collector>();
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly account: XmppAccount,
    private readonly cursor: MamCursorStore,
    options: MamOptions = {},
  ) {
    super();
    this.pageSize = clamp(options.pageSize ?? 50, 1, 100);
    this.maxPages = clamp(options.maxPages ?? 20, 1, 1000);
    this.maxResults = clamp(options.maxResults ?? 1000, 1, 100_000);
    this.deadlineMs = options.deadlineMs ?? 60_000;
    // Results come without 'from' (the account layer drops those as not from a contact): read them off the stream.
    account.client.on(
      'stanza',
      guarded(
        'mam',
        () => {
          this.report('handler-failed');
        },
        (stanza) => {
          this.handle(stanza);
        },
      ),
    );
  }

  /** Checks one incoming stanza; archive results go to the query they answer (public for tests and fuzzing). */
  handle(stanza: Element): void {
    if (stanza.is('iq')) {
      this.onAnswer(stanza);
      return;
    }
    if (!stanza.is('message')) return;
    const results = stanza.getChildren('result', NS_MAM);
    if (results.length === 0) return;
    let parsed;
    try {
      parsed = parseArchiveResult(stanza, this.account.bareJid, (id) => this.open.has(id));
    } catch {
      parsed = { kind: 'rejected', reason: 'handler-failed' } as const;
    }
    if (parsed.kind === 'rejected') {
      const collector = parsed.queryId === undefined ? undefined : this.open.get(parsed.queryId);
      if (collector !== undefined) collector.rejected++;
      this.report(parsed.reason);
      return;
    }
    const collector = this.open.get(parsed.queryId);
    if (collector === undefined) return; // parseArchiveResult checked it; kept for the type checker
    if (collector.messages.length >= collector.max) {
      collector.overflow = true;
      collector.rejected++;
      this.report('too-many-results');
      return;
    }
    collector.messages.push(parsed.record);
  }

  /**
   * Fetches what the archive has after the cursor (or from `start`), page by page. Catch-ups run one at a time.
   * Rejects with MamError; the messages of the pages done before a failure were given to `onPage` and the cursor
   * moved past them.
   */
  catchUp(options: CatchUpOptions = {}): Promise<CatchUpResult> {
    const next = this.running.then(() => this.catchUpNow(options));
    this.running = next.catch(() => undefined);
    return next;
  }

  private async catchUpNow(options: CatchUpOptions): Promise<CatchUpResult> {
    const deadline = performance.now() + this.deadlineMs;
    const messages: ArchivedMessage[] = [];
    let after = await this.cursor.get();
    let pages = 0;
    let rejected = 0;
    let complete = false;
    while (!complete && pages < this.maxPages && messages.length < this.maxResults) {
      if (performance.now() > deadline) throw new MamError('timeout');
      const max = Math.min(this.pageSize, this.maxResults - messages.length);
      const page = await this.page({
        max,
        ...(after === undefined ? {} : { after }),
        ...(options.with === undefined ? {} : { with: options.with }),
        ...(after === undefined && options.start !== undefined ? { start: options.start } : {}),
      });
      pages++;
      rejected += page.rejected;
      if (!page.fin.complete && (page.fin.last === undefined || page.fin.last === after || page.results === 0)) {
        throw new MamError('bad-response'); // it says "more" but gives no way forward: stop rather than loop
      }
      messages.push(...page.messages);
      if (page.messages.length > 0) await options.onPage?.(page.messages);
      const last = page.fin.last ?? page.messages.at(-1)?.archiveId;
      if (last !== undefined && last !== after) {
        after = last;
        await this.cursor.set(last);
      }
      complete = page.fin.complete;
    }
    return { messages, complete, pages, rejected, cursor: after };
  }

  private async page(page: { max: number; after?: string; with?: string; start?: Date }): Promise<{ messages: ArchivedMessage[]; results: number; rejected: number; fin: { complete: boolean; last?: string } }> {
    const queryId = randomUUID();
    const iqId = randomUUID();
    const collector: Collector = { iqId, max: page.max, messages: [], overflow: false, rejected: 0 };
    this.open.set(queryId, collector);
    let answer: Element | undefined;
    try {
      const iq = xml('iq', { type: 'set', id: iqId }, buildMamQuery(queryId, page));
      answer = (await this.account.request(iq, 'reading the message archive')).getChildElements()[0];
    } catch (err) {
      throw mamError(err, page.after !== undefined);
    } finally {
      this.open.delete(queryId);
    }
    const fin = parseFin(answer);
    if (fin === undefined) throw new MamError('bad-response');
    const results = collector.messages.length + collector.rejected;
    return { messages: collector.messages, results, rejected: collector.rejected, fin };
  }

  /** The answer to one of our queries (from our server): results after it are not part of that page. */
  private onAnswer(iq: Element): void {
    const type = iq.attrs.type;
    if (type !== 'result' && type !== 'error') return;
    const from = iq.attrs.from;
    if (from !== undefined && from !== this.account.bareJid) return;
    for (const [queryId, collector] of this.open) if (collector.iqId === iq.attrs.id) this.open.delete(queryId);
  }

  private report(reason: RecordRejection['reason']): void {
    this.account.log?.debug(`dropped an archive result (${reason})`);
    this.emit('rejected', { module: 'mam', stanza: 'message', reason });
  }
}

function mamError(err: unknown, hadCursor: boolean): MamError {
  if (err instanceof MamError) return err;
  if (err instanceof XmppTimeoutError) return new MamError('timeout', { cause: err });
  if (err instanceof XmppRequestError) {
    if (hadCursor && err.condition === 'item-not-found') return new MamError('cursor-gone', { cause: err });
    if (err.condition === 'no-answer') return new MamError('timeout', { cause: err });
    return new MamError('refused', { cause: err });
  }
  if (err instanceof CoveError && err.code === 'xmpp-not-online') return new MamError('offline', { cause: err });
  return new MamError('bad-response', { cause: err });
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, Math.floor(Number.isFinite(n) ? n : lo)));
}
