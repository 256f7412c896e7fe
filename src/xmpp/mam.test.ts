/**
 * Archive catch-up (XEP-0313) without a server: result parsing (forged, foreign query, malformed), <fin/>, time
 * stamps, and the paging logic of ArchiveCatchUp against a scripted iq (the proof on a real server is
 * test/integration/carbons-mam.test.ts): in order, cursor kept, caps, no endless loop, typed errors.
 */
import type { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { xml, type Element } from '@xmpp/client';
import { TransportDownError } from '../net/errors';
import type { Transport } from '../net/transport';
import { XmppAccount } from './account';
import { NS_FORWARD } from './carbons';
import { XmppRequestError, XmppTimeoutError } from './errors';
import { ArchiveCatchUp, buildMamQuery, MamError, MemoryMamCursorStore, NS_MAM, NS_RSM, parseArchiveResult, parseFin, parseStamp } from './mam';

const ME = 'alice@a.test';
const ours = (id: string): boolean => id === 'q1';

function archiveResult(o: { from?: string; queryid?: string; id?: string; stamp?: string; inner?: Record<string, string>; text?: string } = {}): Element {
  return xml(
    'message',
    { ...(o.from === undefined ? {} : { from: o.from }), to: `${ME}/phone` },
    xml(
      'result',
      { xmlns: NS_MAM, queryid: o.queryid ?? 'q1', id: o.id ?? 'A1' },
      xml(
        'forwarded',
        { xmlns: NS_FORWARD },
        xml('delay', { xmlns: 'urn:xmpp:delay', stamp: o.stamp ?? '2024-05-01T10:00:00Z' }),
        xml('message', { type: 'chat', ...(o.inner ?? { from: 'bob@b.test/desk', to: ME }) }, xml('body', {}, o.text ?? 'hello')),
      ),
    ),
  );
}

describe('archive results', () => {
  it('accepts a result from our server (no from) or our bare JID, for our query', () => {
    const parsed = parseArchiveResult(archiveResult(), ME, ours);
    expect(parsed).toMatchObject({ kind: 'result', queryId: 'q1', record: { direction: 'in', peer: 'bob@b.test', archiveId: 'A1', via: 'mam' } });
    if (parsed.kind === 'result') expect(parsed.record.archivedAt.toISOString()).toBe('2024-05-01T10:00:00.000Z');
    const out = parseArchiveResult(archiveResult({ from: ME, inner: { from: `${ME}/laptop`, to: 'bob@b.test' } }), ME, ours);
    expect(out).toMatchObject({ kind: 'result', record: { direction: 'out', peer: 'bob@b.test' } });
  });

  it.each([['bob@b.test'], ['bob@b.test/desk'], [`${ME}/laptop`], ['a.test'], ['@@']])('rejects a result from %s as forged', (from) => {
    expect(parseArchiveResult(archiveResult({ from }), ME, ours)).toEqual({ kind: 'rejected', reason: 'forged-archive-result' });
  });

  it('rejects a result for a query we did not make', () => {
    expect(parseArchiveResult(archiveResult({ queryid: 'other' }), ME, ours)).toEqual({ kind: 'rejected', reason: 'unknown-query' });
    expect(parseArchiveResult(archiveResult({ queryid: '' }), ME, ours)).toEqual({ kind: 'rejected', reason: 'unknown-query' });
  });

  it.each<[string, Element]>([
    ['no id', archiveResult({ id: '' })],
    ['a bad stamp', archiveResult({ stamp: 'yesterday' })],
    ['not our conversation', archiveResult({ inner: { from: 'bob@b.test/desk', to: 'carol@c.test' } })],
    ['with ourselves', archiveResult({ inner: { from: `${ME}/laptop`, to: ME } })],
    ['no delay', xml('message', {}, xml('result', { xmlns: NS_MAM, queryid: 'q1', id: 'A' }, xml('forwarded', { xmlns: NS_FORWARD }, xml('message', { from: 'b@b.test', to: ME }))))],
    ['two results', xml('message', {}, archiveResult().getChildElements()[0], archiveResult().getChildElements()[0])],
  ])('rejects a malformed result: %s', (_what, el) => {
    expect(parseArchiveResult(el, ME, ours)).toMatchObject({ kind: 'rejected', reason: 'bad-archive-result', queryId: 'q1' });
  });

  it('reads time stamps liberally, and refuses what is not one', () => {
    expect(parseStamp('2024-05-01T10:00:00.123456Z')?.toISOString()).toBe('2024-05-01T10:00:00.123Z');
    expect(parseStamp('2024-05-01T12:00:00+0200')?.toISOString()).toBe('2024-05-01T10:00:00.000Z');
    expect(parseStamp('2024-05-01T12:00:00+02:00')?.toISOString()).toBe('2024-05-01T10:00:00.000Z');
    for (const bad of ['', 'now', '2024-13-45T99:00:00Z', '2024-05-01', 'x'.repeat(100)]) expect(parseStamp(bad)).toBeUndefined();
  });

  it('reads <fin/>, and refuses a malformed one', () => {
    const set = (...c: Element[]): Element => xml('set', { xmlns: NS_RSM }, ...c);
    expect(parseFin(xml('fin', { xmlns: NS_MAM, complete: 'true' }, set(xml('last', {}, 'Z'))))).toEqual({ complete: true, last: 'Z' });
    expect(parseFin(xml('fin', { xmlns: NS_MAM }))).toEqual({ complete: false });
    expect(parseFin(undefined)).toBeUndefined();
    expect(parseFin(xml('fin', { xmlns: 'urn:xmpp:mam:1' }))).toBeUndefined();
    expect(parseFin(xml('fin', { xmlns: NS_MAM, complete: 'yes' }))).toBeUndefined();
    expect(parseFin(xml('fin', { xmlns: NS_MAM }, set(xml('last', {}, 'a'), xml('last', {}, 'b'))))).toBeUndefined();
  });

  it('builds a query with a form and RSM', () => {
    const q = buildMamQuery('q9', { max: 5, after: 'A7', with: 'bob@b.test', start: new Date(0) });
    expect(q.toString()).toContain('<value>bob@b.test</value>');
    expect(q.getChild('set', NS_RSM)?.getChildText('after')).toBe('A7');
    expect(buildMamQuery('q', { max: 5 }).getChild('x')).toBeUndefined();
  });
});

describe('ArchiveCatchUp paging (scripted server)', () => {
  const neverConnect: Transport = {
    mode: 'direct',
    firstHop: (t) => ({ kind: 'direct', host: t.host, port: t.port }),
    connect: () => Promise.reject(new TransportDownError('not in this test')),
  };

  /** An offline account whose request() answers from `archive` (ids A0..An) as a server would: results, then the iq answer; `fail` makes it throw instead. */
  function scripted(archive: number, opts: { fin?: (after: string | undefined, ids: string[]) => Element; fail?: Error } = {}): { account: XmppAccount; queries: Element[] } {
    const account = new XmppAccount({ domain: 'a.test', server: { host: '127.0.0.2', port: 5222 }, transport: neverConnect, accountKey: 'k', username: 'alice', password: 'x' });
    const ids = Array.from({ length: archive }, (_, i) => `A${String(i)}`);
    const queries: Element[] = [];
    const client = account.client as unknown as EventEmitter;
    account.request = (iq) => {
      const query = iq.getChildElements()[0] ?? xml('none');
      queries.push(query);
      if (opts.fail !== undefined) return Promise.reject(opts.fail);
      const rsm = query.getChild('set', NS_RSM);
      const max = Number(rsm?.getChildText('max'));
      const after = rsm?.getChildText('after') ?? undefined;
      const from = after === undefined ? 0 : ids.indexOf(after) + 1;
      const page = ids.slice(from, from + max);
      for (const id of page) client.emit('stanza', archiveResult({ queryid: query.attrs.queryid ?? '', id, text: id }));
      const last = page.at(-1);
      const fin = opts.fin?.(after, page) ?? xml('fin', { xmlns: NS_MAM, ...(from + max >= ids.length ? { complete: 'true' } : {}) }, xml('set', { xmlns: NS_RSM }, last === undefined ? null : xml('last', {}, last)));
      const answer = xml('iq', { type: 'result', id: iq.attrs.id ?? '' }, fin);
      client.emit('stanza', answer);
      return Promise.resolve(answer);
    };
    return { account, queries };
  }

  it('pages through in order, keeps the cursor, and the next catch-up starts after it', async () => {
    const { account, queries } = scripted(7);
    const cursor = new MemoryMamCursorStore();
    const pages: number[] = [];
    const mam = new ArchiveCatchUp(account, cursor, { pageSize: 3 });
    const r = await mam.catchUp({ onPage: (p) => void pages.push(p.length) });
    expect(r.messages.map((m) => m.archiveId)).toEqual(['A0', 'A1', 'A2', 'A3', 'A4', 'A5', 'A6']);
    expect(r).toMatchObject({ complete: true, pages: 3, rejected: 0, cursor: 'A6' });
    expect(pages).toEqual([3, 3, 1]);
    expect(cursor.get()).toBe('A6');
    expect(queries[1]?.getChild('set', NS_RSM)?.getChildText('after')).toBe('A2');
    const again = await mam.catchUp();
    expect(again.messages).toEqual([]);
    expect(queries.at(-1)?.getChild('set', NS_RSM)?.getChildText('after')).toBe('A6');
  });

  it('stops at the caps and goes on from the cursor next time', async () => {
    const { account } = scripted(10);
    const cursor = new MemoryMamCursorStore();
    const mam = new ArchiveCatchUp(account, cursor, { pageSize: 2, maxResults: 5 });
    const r = await mam.catchUp();
    expect(r.messages.map((m) => m.archiveId)).toEqual(['A0', 'A1', 'A2', 'A3', 'A4']);
    expect(r.complete).toBe(false);
    const pagesCapped = await new ArchiveCatchUp(account, new MemoryMamCursorStore(), { pageSize: 2, maxPages: 2 }).catchUp();
    expect(pagesCapped).toMatchObject({ complete: false, pages: 2, cursor: 'A3' });
    expect((await mam.catchUp()).messages.map((m) => m.archiveId)).toEqual(['A5', 'A6', 'A7', 'A8', 'A9']);
  });

  it('refuses a server that says "more" without a way forward (no endless loop)', async () => {
    const { account } = scripted(3, { fin: () => xml('fin', { xmlns: NS_MAM }) });
    await expect(new ArchiveCatchUp(account, new MemoryMamCursorStore()).catchUp()).rejects.toMatchObject({ name: 'MamError', reason: 'bad-response' });
    const same = scripted(3, { fin: (after) => xml('fin', { xmlns: NS_MAM }, xml('set', { xmlns: NS_RSM }, xml('last', {}, after ?? 'A0'))) });
    await expect(new ArchiveCatchUp(same.account, new MemoryMamCursorStore('A0')).catchUp()).rejects.toMatchObject({ reason: 'bad-response' });
    const noFin = scripted(1, { fin: () => xml('query', { xmlns: NS_MAM }) });
    await expect(new ArchiveCatchUp(noFin.account, new MemoryMamCursorStore()).catchUp()).rejects.toBeInstanceOf(MamError);
  });

  it.each<[Error, string, string | undefined]>([
    [new XmppTimeoutError('x', 1), 'timeout', undefined],
    [new XmppRequestError('x', 'item-not-found'), 'cursor-gone', 'A1'],
    [new XmppRequestError('x', 'forbidden'), 'refused', undefined],
  ])('maps a failed page to a typed MamError (%#)', async (error, reason, start) => {
    const { account } = scripted(3, { fail: error });
    await expect(new ArchiveCatchUp(account, new MemoryMamCursorStore(start)).catchUp()).rejects.toMatchObject({ name: 'MamError', reason });
  });

  it('drops results that are forged, late or beyond the page size, and counts them', async () => {
    const { account } = scripted(2);
    const client = account.client as unknown as EventEmitter;
    const inner = account.request.bind(account);
    account.request = async (iq, what) => {
      const qid = iq.getChildElements()[0]?.attrs.queryid ?? '';
      client.emit('stanza', archiveResult({ queryid: qid, from: 'bob@b.test/desk', id: 'F1' }));
      client.emit('stanza', archiveResult({ queryid: qid, stamp: 'bad' }));
      // An answer to someone else's iq (or a forged one from a contact) does not end our page.
      client.emit('stanza', xml('iq', { type: 'result', id: iq.attrs.id ?? '', from: 'bob@b.test/desk' }));
      const answer = inner(iq, what);
      client.emit('stanza', archiveResult({ queryid: qid, id: 'LATE' }));
      return answer;
    };
    const mam = new ArchiveCatchUp(account, new MemoryMamCursorStore(), { pageSize: 5 });
    const reasons: string[] = [];
    mam.on('rejected', (r) => reasons.push(r.reason));
    const r = await mam.catchUp();
    expect(r.messages.map((m) => m.archiveId)).toEqual(['A0', 'A1']);
    expect(r.rejected).toBe(1); // the malformed one for our query; forged and late ones belong to no page
    expect(reasons).toEqual(['forged-archive-result', 'bad-archive-result', 'unknown-query']);
  });
});
