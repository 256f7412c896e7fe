/**
 * Carbons (XEP-0280) without a server: well-formed `sent`/`received` carbons become records; forged ones (outer
 * `from` not our bare JID), malformed ones and carbons of messages that are not ours become typed rejections.
 */
import { describe, expect, it } from 'vitest';
import { xml, type Element } from '@xmpp/client';
import { isCarbon, NS_CARBONS, NS_FORWARD, parseCarbon } from './carbons';

const ME = 'alice@a.test';

function inner(attrs: Record<string, string>, text = 'hi'): Element {
  return xml('message', { xmlns: 'jabber:client', type: 'chat', ...attrs }, xml('body', {}, text));
}

function carbon(kind: string, from: string | undefined, ...forwardedChildren: Element[]): Element {
  return xml('message', { ...(from === undefined ? {} : { from }), to: `${ME}/phone` }, xml(kind, { xmlns: NS_CARBONS }, xml('forwarded', { xmlns: NS_FORWARD }, ...forwardedChildren)));
}

describe('parseCarbon', () => {
  it('reads a received carbon: direction in, the peer, the inner message', () => {
    const msg = inner({ from: 'Bob@b.test/desk', to: `${ME}/laptop` });
    const parsed = parseCarbon(carbon('received', ME, msg), ME);
    expect(parsed).toEqual({ kind: 'carbon', record: { direction: 'in', message: msg, peer: 'bob@b.test', via: 'carbon' } });
  });

  it('reads a sent carbon: direction out, to the peer', () => {
    const parsed = parseCarbon(carbon('sent', ME, inner({ from: `${ME}/laptop`, to: 'bob@b.test' })), ME);
    expect(parsed).toMatchObject({ kind: 'carbon', record: { direction: 'out', peer: 'bob@b.test' } });
  });

  it('leaves a normal message alone', () => {
    const plain = xml('message', { from: 'bob@b.test/x' }, xml('body', {}, 'hi'));
    expect(parseCarbon(plain, ME)).toEqual({ kind: 'not-carbon' });
    expect(isCarbon(plain)).toBe(false);
    // An element in another namespace is not a carbon either.
    expect(parseCarbon(xml('message', { from: ME }, xml('sent', { xmlns: 'urn:xmpp:carbons:1' })), ME)).toEqual({ kind: 'not-carbon' });
  });

  it.each([
    ['from a contact', 'bob@b.test/desk'],
    ['from a contact (bare)', 'bob@b.test'],
    ['from our own full JID', `${ME}/laptop`],
    ['from our server', 'a.test'],
    ['with no from', undefined],
    ['from a bad JID', 'alice@@a.test'],
  ])('rejects a carbon %s as forged', (_what, from) => {
    expect(parseCarbon(carbon('received', from, inner({ from: 'bob@b.test/desk', to: ME })), ME)).toEqual({ kind: 'rejected', reason: 'forged-carbon' });
  });

  it.each<[string, Element]>([
    ['no forwarded', xml('message', { from: ME }, xml('received', { xmlns: NS_CARBONS }))],
    ['two forwarded', xml('message', { from: ME }, xml('received', { xmlns: NS_CARBONS }, xml('forwarded', { xmlns: NS_FORWARD }, inner({ from: 'b@b.test/x', to: ME })), xml('forwarded', { xmlns: NS_FORWARD }, inner({ from: 'b@b.test/x', to: ME }))))],
    ['no inner message', carbon('received', ME)],
    ['two inner messages', carbon('received', ME, inner({ from: 'b@b.test/x', to: ME }), inner({ from: 'c@b.test/x', to: ME }))],
    ['sent and received', xml('message', { from: ME }, xml('sent', { xmlns: NS_CARBONS }), xml('received', { xmlns: NS_CARBONS }))],
    ['a nested carbon', carbon('received', ME, xml('message', { from: 'b@b.test/x', to: ME }, xml('received', { xmlns: NS_CARBONS })))],
    ['an inner message without from', carbon('received', ME, inner({ to: ME }))],
    ['an inner message in another namespace', carbon('received', ME, xml('message', { xmlns: 'jabber:server:evil', from: 'b@b.test/x', to: ME }))],
  ])('rejects a malformed carbon: %s', (_what, el) => {
    expect(parseCarbon(el, ME)).toEqual({ kind: 'rejected', reason: 'bad-carbon' });
  });

  it.each<[string, Element]>([
    ['sent, but not from us', carbon('sent', ME, inner({ from: 'bob@b.test/desk', to: 'carol@c.test' }))],
    ['sent from our bare JID (not a device)', carbon('sent', ME, inner({ from: ME, to: 'bob@b.test' }))],
    ['received, but not to us', carbon('received', ME, inner({ from: 'bob@b.test/desk', to: 'carol@c.test' }))],
    ['received from ourselves', carbon('received', ME, inner({ from: `${ME}/laptop`, to: ME }))],
    ['sent to a server', carbon('sent', ME, inner({ from: `${ME}/laptop`, to: 'b.test' }))],
  ])('rejects a carbon of a message that is not ours: %s', (_what, el) => {
    expect(parseCarbon(el, ME)).toEqual({ kind: 'rejected', reason: 'carbon-not-ours' });
  });
});
