/**
 * Validation of what arrives from the network, without a server: roster items, block lists, registration forms
 * (data forms with a CAPTCHA), avatar bytes, failure mapping, and the account's stanza intake (a bad stanza becomes
 * a typed `rejected` event, never a throw out of a listener). The account here is never started: nothing connects.
 */
import type { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { xml, type Element } from '@xmpp/client';
import { TransportDownError } from '../net/errors';
import type { Transport } from '../net/transport';
import { XmppAccount } from './account';
import { BlockList, parseBlockItems } from './blocking';
import { classifyFailure } from './connection';
import { FormError, isCaptcha, parseDataForm, submitDataForm } from './dataform';
import { parseRegistrationQuery, registrationFailure } from './register';
import { parseRosterItem, Roster } from './roster';
import type { Rejection } from './validate';
import { checkAvatar } from './vcard';

const PNG = new Uint8Array(Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64'));
// The smallest JPEG header with a SOF0 segment: 16 x 8 pixels.
const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00, 0xff, 0xc0, 0x00, 0x0b, 0x08, 0x00, 0x08, 0x00, 0x10, 0x01, 0x01, 0x11, 0x00]);

const NS_REGISTER = 'jabber:iq:register';

function field(v: string, type: string, opts: { required?: boolean; values?: string[]; children?: Element[] } = {}): Element {
  return xml('field', { var: v, type }, opts.required === true ? xml('required') : null, ...(opts.values ?? []).map((x) => xml('value', {}, x)), ...(opts.children ?? []));
}

describe('roster items', () => {
  it('accepts a valid item and lower-cases its JID', () => {
    const parsed = parseRosterItem(xml('item', { jid: 'Bob@B.test', name: 'Bob', subscription: 'both' }, xml('group', {}, 'Friends')));
    expect(parsed).toEqual({ item: { jid: 'bob@b.test', name: 'Bob', subscription: 'both', pendingOut: false, groups: ['Friends'] }, remove: false });
  });

  it.each([
    [xml('item', {}), 'missing-attribute'],
    [xml('item', { jid: 'bob@b.test/phone' }), 'bad-jid'],
    [xml('item', { jid: '@b.test' }), 'bad-jid'],
    [xml('item', { jid: 'bob@b.test', subscription: 'all' }), 'bad-value'],
    [xml('item', { jid: 'bob@b.test', name: 'x'.repeat(300) }), 'oversized'],
    [xml('item', { jid: 'bob@b.test' }, ...Array.from({ length: 40 }, (_, i) => xml('group', {}, `g${i}`))), 'oversized'],
  ])('rejects a bad item (%#: %s)', (el, reason) => {
    expect(parseRosterItem(el)).toEqual({ reason });
  });
});

describe('block lists', () => {
  it('reads items and refuses a list with a bad JID', () => {
    expect(parseBlockItems(xml('blocklist', {}, xml('item', { jid: 'Spam@x.test' }), xml('item', { jid: 'y.test' })))).toEqual(['spam@x.test', 'y.test']);
    expect(parseBlockItems(xml('block', {}, xml('item', {})))).toBeUndefined();
    expect(parseBlockItems(xml('block', {}, xml('item', { jid: 'a@@b' })))).toBeUndefined();
  });
});

describe('registration forms', () => {
  it("takes Prosody's form (FORM_TYPE, username, password) as a simple one to fill in automatically", () => {
    const iq = xml(
      'iq',
      { type: 'result' },
      xml(
        'query',
        { xmlns: NS_REGISTER },
        xml('instructions', {}, 'Choose a username and password'),
        xml('username'),
        xml('password'),
        xml(
          'x',
          { xmlns: 'jabber:x:data', type: 'form' },
          field('FORM_TYPE', 'hidden', { values: [NS_REGISTER] }),
          field('username', 'text-single', { required: true }),
          field('password', 'text-private', { required: true }),
        ),
      ),
    );
    const parsed = parseRegistrationQuery(iq);
    expect(parsed.simple).toBe(true);
    expect(parsed.form.captcha).toBe(false);
    const submit = parsed.dataForm === undefined ? undefined : submitDataForm(parsed.dataForm, { username: 'alice', password: 'pw' });
    expect(submit?.toString()).toBe(
      "<x xmlns=\"jabber:x:data\" type=\"submit\"><field var=\"FORM_TYPE\"><value>jabber:iq:register</value></field><field var=\"username\"><value>alice</value></field><field var=\"password\"><value>pw</value></field></x>",
    );
  });

  it('surfaces a CAPTCHA (XEP-0158) with its inline image (XEP-0231) and an out-of-band URL', () => {
    const cid = 'sha1+0123@bob.xmpp.org';
    const iq = xml(
      'iq',
      { type: 'result' },
      xml(
        'query',
        { xmlns: NS_REGISTER },
        xml('x', { xmlns: 'jabber:x:oob' }, xml('url', {}, 'https://a.test/signup')),
        xml(
          'x',
          { xmlns: 'jabber:x:data', type: 'form' },
          field('FORM_TYPE', 'hidden', { values: ['urn:xmpp:captcha'] }),
          field('challenge', 'hidden', { values: ['F3A6292C'] }),
          field('username', 'text-single', { required: true }),
          field('password', 'text-private', { required: true }),
          field('ocr', 'text-single', {
            required: true,
            children: [xml('media', { xmlns: 'urn:xmpp:media-element' }, xml('uri', { type: 'image/png' }, `cid:${cid}`))],
          }),
        ),
      ),
      xml('data', { xmlns: 'urn:xmpp:bob', cid, type: 'image/png' }, Buffer.from(PNG).toString('base64')),
    );
    const parsed = parseRegistrationQuery(iq);
    expect(parsed.simple).toBe(false);
    expect(parsed.form.captcha).toBe(true);
    expect(parsed.form.url).toBe('https://a.test/signup');
    expect(parsed.form.media).toHaveLength(1);
    expect(Buffer.from(parsed.form.media[0]?.data ?? []).equals(Buffer.from(PNG))).toBe(true);
    const form = parsed.dataForm;
    if (form === undefined) throw new Error('expected a data form');
    expect(() => submitDataForm(form, { username: 'a', password: 'b' })).toThrow(/Please fill in/);
    const submit = submitDataForm(form, { username: 'a', password: 'b', ocr: 'xyz', challenge: 'forged' });
    const values: Record<string, string | null> = Object.fromEntries(submit.getChildren('field').map((f) => [f.attrs.var ?? '', f.getChildText('value')]));
    expect(values).toEqual({ FORM_TYPE: 'urn:xmpp:captcha', challenge: 'F3A6292C', username: 'a', password: 'b', ocr: 'xyz' });
  });

  it('refuses malformed forms with a typed error', () => {
    expect(() => parseDataForm(xml('x', { xmlns: 'jabber:x:data', type: 'result' }))).toThrow(FormError);
    expect(() => parseDataForm(xml('x', { xmlns: 'jabber:x:data', type: 'form' }, field('a', 'rainbow')))).toThrow(FormError);
    expect(() => parseDataForm(xml('x', { xmlns: 'jabber:x:data', type: 'form' }, xml('field', { type: 'text-single' })))).toThrow(FormError);
    expect(isCaptcha(parseDataForm(xml('x', { xmlns: 'jabber:x:data', type: 'form' }, field('qa', 'text-single'))))).toBe(true);
  });

  it('maps stanza errors to typed registration failures', () => {
    expect(registrationFailure('conflict')).toBe('username-taken');
    expect(registrationFailure('not-acceptable')).toBe('not-acceptable');
    expect(registrationFailure('not-allowed')).toBe('registration-closed');
    expect(registrationFailure('resource-constraint')).toBe('rate-limited');
    expect(registrationFailure('not-acceptable', 'wait')).toBe('rate-limited');
    expect(registrationFailure('service-unavailable')).toBe('unsupported');
    expect(registrationFailure('undefined-condition')).toBe('refused');
  });
});

describe('failure reasons', () => {
  it('classifies connection failures', () => {
    expect(classifyFailure(Object.assign(new Error('x'), { name: 'SASLError', condition: 'not-authorized' }))).toBe('auth-failed');
    expect(classifyFailure(Object.assign(new Error('x'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }))).toBe('tls-failed');
    expect(classifyFailure(Object.assign(new Error('x'), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }))).toBe('tls-failed');
    expect(classifyFailure(new TransportDownError('tor is not ready'))).toBe('transport-down');
    expect(classifyFailure(Object.assign(new Error('x'), { code: 'connect-failed' }))).toBe('unreachable');
    expect(classifyFailure(Object.assign(new Error('x'), { name: 'StreamError', condition: 'system-shutdown' }))).toBe('stream-error');
    expect(classifyFailure('?')).toBe('protocol');
  });
});

describe('avatars', () => {
  it('accepts PNG and JPEG by their bytes, reads the size, and refuses the rest', () => {
    expect(checkAvatar(PNG, 1024)).toMatchObject({ type: 'image/png', width: 1, height: 1 });
    expect(checkAvatar(JPEG, 1024)).toMatchObject({ type: 'image/jpeg', width: 16, height: 8 });
    expect(() => checkAvatar(new Uint8Array(Buffer.from('GIF89a....')), 1024)).toThrow(/PNG or JPEG/);
    expect(() => checkAvatar(PNG, 10)).toThrow(/too big/);
    expect(() => checkAvatar(PNG, 1024, { type: 'image/jpeg' })).toThrow(/claims/);
    expect(() => checkAvatar(PNG, 1024, { id: '0'.repeat(40) })).toThrow(/checksum/);
  });
});

describe("the account's stanza intake", () => {
  const neverConnect: Transport = {
    mode: 'direct',
    firstHop: (t) => ({ kind: 'direct', host: t.host, port: t.port }),
    connect: () => Promise.reject(new TransportDownError('not in this test')),
  };

  function offlineAccount(): { account: XmppAccount; roster: Roster; blocking: BlockList; rejected: Rejection[]; inject: (s: Element) => void } {
    const account = new XmppAccount({ domain: 'a.test', server: { host: '127.0.0.2', port: 5222 }, transport: neverConnect, accountKey: 'k1', username: 'alice', password: 'x' });
    const rejected: Rejection[] = [];
    account.on('rejected', (r) => rejected.push(r));
    const client = account.client as unknown as EventEmitter;
    return {
      account,
      roster: new Roster(account),
      blocking: new BlockList(account),
      rejected,
      inject: (s) => {
        client.emit('stanza', s);
      },
    };
  }

  it('drops stanzas without a valid from, or from strangers — and never throws', () => {
    const { account, rejected, inject } = offlineAccount();
    const messages: Element[] = [];
    account.on('message', (m) => messages.push(m));
    expect(() => {
      inject(xml('message', {}, xml('body', {}, 'no from')));
      inject(xml('message', { from: 'bad@@jid' }, xml('body', {}, 'bad from')));
      inject(xml('message', { from: `${'x'.repeat(4000)}@a.test` }));
      inject(xml('presence', { from: 'stranger@b.test/r' }));
      inject(xml('message', { from: 'bob@b.test/r', type: 'chat' }, xml('body', {}, 'fine')));
    }).not.toThrow();
    expect(rejected.map((r) => r.reason)).toEqual(['missing-attribute', 'bad-jid', 'bad-jid', 'presence-from-stranger']);
    expect(messages.map((m) => m.getChildText('body'))).toEqual(['fine']);
  });

  it('turns a subscription request into an event, once', () => {
    const { roster, inject } = offlineAccount();
    const requests: string[] = [];
    roster.on('subscription-request', (r) => requests.push(r.jid));
    inject(xml('presence', { from: 'Bob@b.test', type: 'subscribe' }));
    inject(xml('presence', { from: 'bob@b.test', type: 'subscribe' }));
    inject(xml('presence', { from: 'b.test', type: 'subscribe' }));
    expect(requests).toEqual(['bob@b.test']);
    expect(roster.pendingRequests()).toEqual(['bob@b.test']);
  });

  it('a listener that throws is reported, not thrown', () => {
    const { account, rejected, inject } = offlineAccount();
    account.on('message', () => {
      throw new Error('a buggy listener');
    });
    expect(() => {
      inject(xml('message', { from: 'bob@b.test/r' }));
    }).not.toThrow();
    expect(rejected).toContainEqual({ module: 'account', stanza: 'message', reason: 'handler-failed' });
  });
});
