// The IPC handler table as the pure function it is: the sender check, the contract's checks, and pass-through.
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { OP_NAMES, type CoveEvent } from '../src/api/contract';
import { CoveError } from '../src/api/result';
import { TestService } from '../src/bridge/testing/service';
import { channelOf, checkedEvent, ipcHandlerTable, trustedSender, type IpcHandler } from './ipc';

const indexUrl = pathToFileURL('/opt/Cove/resources/app/renderer/dist/index.html').href;
const info = { version: '1.2.3', platform: 'linux', shell: 'electron', profile: 'locked', keychain: true } as const;

function table() {
  const calls: unknown[] = [];
  const service = new TestService({
    appInfo: () => Promise.resolve(info),
    profileUnlock: (input) => {
      calls.push(input);
      return input.passphrase === 'right' ? Promise.resolve({}) : Promise.reject(new CoveError('store-wrong-key', 'That passphrase does not open this profile.'));
    },
  });
  const handlers = new Map(ipcHandlerTable(service, trustedSender(indexUrl)));
  const handler = (op: string): IpcHandler => {
    const h = handlers.get(channelOf(op));
    if (h === undefined) throw new Error(`no handler for ${op}`);
    return h;
  };
  return { handlers, handler, calls };
}

const fromApp = { senderFrame: { url: indexUrl } };

describe('ipcHandlerTable', () => {
  it('has one channel per operation, cove:<op>', () => {
    expect([...table().handlers.keys()].sort()).toEqual(OP_NAMES.map((op) => `cove:${op}`).sort());
  });

  it("passes the app's own calls through, results and the core's errors alike", async () => {
    const { handler, calls } = table();
    expect(await handler('appInfo')(fromApp, {})).toEqual({ ok: true, value: info });
    expect(await handler('appInfo')({ senderFrame: { url: `${indexUrl}#/chats` } }, {})).toEqual({ ok: true, value: info });
    expect(await handler('profileUnlock')(fromApp, { passphrase: 'right' })).toEqual({ ok: true, value: {} });
    expect(await handler('profileUnlock')(fromApp, { passphrase: 'wrong' })).toEqual({
      ok: false,
      error: { code: 'store-wrong-key', message: 'That passphrase does not open this profile.' },
    });
    expect(calls).toEqual([{ passphrase: 'right' }, { passphrase: 'wrong' }]);
  });

  it('refuses input outside the contract before the core sees it', async () => {
    const { handler, calls } = table();
    for (const input of [{ passphrase: '' }, { passphrase: 7 }, { passphrase: 'right', extra: 1 }, 'right', [1]]) {
      const result = await handler('profileUnlock')(fromApp, input);
      expect(result).toMatchObject({ ok: false, error: { code: 'api-bad-input' } });
    }
    expect(calls).toEqual([]);
  });

  it.each([
    ['a web page', 'https://evil.example/index.html'],
    ['a page on loopback', 'http://127.0.0.1:8080/index.html'],
    ['another local file', pathToFileURL('/tmp/index.html').href],
    ['a file next to the page', pathToFileURL('/opt/Cove/resources/app/renderer/dist/other.html').href],
    ['a file on another host', 'file://server/opt/Cove/resources/app/renderer/dist/index.html'],
    ['about:blank', 'about:blank'],
    ['a data: URL', 'data:text/html,<p>x</p>'],
    ['no URL', ''],
  ])('refuses a call from %s, and the core never sees it', async (_what, url) => {
    const { handler, calls } = table();
    const result = await handler('profileUnlock')({ senderFrame: { url } }, { passphrase: 'right' });
    expect(result).toMatchObject({ ok: false, error: { code: 'ipc-untrusted-sender' } });
    expect(calls).toEqual([]);
  });

  it('refuses a call whose frame is gone', async () => {
    const { handler } = table();
    expect(await handler('appInfo')({ senderFrame: null }, {})).toMatchObject({ ok: false, error: { code: 'ipc-untrusted-sender' } });
  });
});

describe('checkedEvent', () => {
  it('passes events of the contract and drops anything else', () => {
    const event: CoveEvent = { type: 'messageState', conversationId: 2, id: 'm1', state: 'read' };
    expect(checkedEvent(event)).toEqual(event);
    expect(checkedEvent({ type: 'messageState', conversationId: 2, id: 'm1', state: 'lost' })).toBeUndefined();
    expect(checkedEvent({ type: 'unknown' })).toBeUndefined();
    expect(checkedEvent('profile')).toBeUndefined();
  });
});

describe('trustedSender', () => {
  it('only works for a page loaded from a file: URL', () => {
    expect(() => trustedSender('http://127.0.0.1:1/index.html')).toThrow(TypeError);
  });
});
