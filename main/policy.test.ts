import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { CoveEvent, Settings } from '../src/api/contract';
import { checkedXmppUri, notificationFor, rendererRequestAllowed, SPELLCHECK_DICTIONARY_URL, xmppUriFromArgv } from './policy';

describe('rendererRequestAllowed', () => {
  const dir = `${pathToFileURL('/opt/Cove/renderer/dist').href}/`;

  it("allows the renderer's own files, pictures made in the page, and devtools", () => {
    expect(rendererRequestAllowed(`${dir}index.html`, dir)).toBe(true);
    expect(rendererRequestAllowed('data:image/png;base64,iVBORw0KGgo=', dir)).toBe(true);
    expect(rendererRequestAllowed('blob:file:///4f1c-22', dir)).toBe(true);
    expect(rendererRequestAllowed(`${dir}assets/index-abc.js`, dir)).toBe(true);
    expect(rendererRequestAllowed('devtools://devtools/bundled/inspector.html', dir)).toBe(true);
  });

  it.each([
    'https://example.org/',
    'http://127.0.0.1:8080/',
    'ws://127.0.0.1:9/bridge',
    'file:///etc/passwd',
    'file:///opt/Cove/renderer/dist-other/x.js',
    'file:///opt/Cove/renderer/dist/../../secret',
    'file:///opt/Cove/renderer/dist/%2e%2e/%2e%2e/secret',
    'file://otherhost/opt/Cove/renderer/dist/index.html',
    'ftp://example.org/',
    'chrome://settings',
    'not a url',
  ])('cancels %s', (url) => {
    expect(rendererRequestAllowed(url, dir)).toBe(false);
  });

  it('points the dictionary download at loopback, by address', () => {
    expect(new URL(SPELLCHECK_DICTIONARY_URL).hostname).toBe('127.0.0.1');
  });
});

describe('xmpp: links', () => {
  it('finds the link a launch carries, the last one when there are several', () => {
    expect(xmppUriFromArgv(['/usr/bin/cove', '--flag', 'xmpp:alice@example.org?roster;ox=0123'])).toBe('xmpp:alice@example.org?roster;ox=0123');
    expect(xmppUriFromArgv(['cove', 'XMPP:a@b.c', 'xmpp:d@e.f?message'])).toBe('xmpp:d@e.f?message');
    expect(xmppUriFromArgv(['cove', 'XMPP:a@b.c'])).toBe('xmpp:a@b.c');
  });

  it.each([['https://example.org/'], ['xmpp:'], ['xmpp:a b@c.d'], ['xmpp:a@b.c\n--inject'], [`xmpp:${'a'.repeat(5000)}`], ['--xmpp:a@b.c']])('refuses %j', (arg) => {
    expect(xmppUriFromArgv(['cove', arg])).toBeUndefined();
    expect(checkedXmppUri(arg)).toBeUndefined();
  });
});

describe('notificationFor', () => {
  const message = (direction: 'in' | 'out'): CoveEvent => ({
    type: 'message',
    accountId: 1,
    peer: 'bob@example.org',
    message: { seq: 1, conversationId: 1, id: 'm', direction, body: 'meet at nine', time: 0, state: 'delivered', encrypted: true },
  });
  const settings = (enabled: boolean, showText: boolean): Settings => ({ theme: 'system', notifications: { enabled, showText } });

  it('says only that a message came, unless the user chose to show its text', () => {
    const hidden = notificationFor(message('in'), settings(true, false), false);
    expect(hidden).toEqual({ title: 'Cove', body: 'You have a new message.' });
    expect(JSON.stringify(hidden)).not.toMatch(/bob|nine/);
    expect(notificationFor(message('in'), settings(true, true), false)).toEqual({ title: 'bob@example.org', body: 'meet at nine' });
  });

  it('stays quiet for our own messages, other events, notifications off, or the window in front', () => {
    expect(notificationFor(message('out'), settings(true, true), false)).toBeUndefined();
    expect(notificationFor({ type: 'accounts' }, settings(true, true), false)).toBeUndefined();
    expect(notificationFor(message('in'), settings(false, true), false)).toBeUndefined();
    expect(notificationFor(message('in'), settings(true, true), true)).toBeUndefined();
  });
});
