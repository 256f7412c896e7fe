// The bridge client's own logic against a scripted socket (the real server and real Chromium are in
// test/integration/bridge.test.ts and test/e2e/bridge-chromium.test.ts).
import { describe, expect, it } from 'vitest';
import { OP_NAMES, type CoveEvent } from '../../src/api/contract';
import { createBridgeClient } from './bridge-client';

class ScriptedSocket {
  readyState = 0;
  readonly sent: { id: number; op: string; input: unknown }[] = [];
  onopen: (() => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onmessage: ((message: { data: unknown }) => void) | null = null;

  send(text: string): void {
    this.sent.push(JSON.parse(text) as { id: number; op: string; input: unknown });
  }
  close(): void {
    this.readyState = 3;
    this.onclose?.();
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.();
  }
  reply(frame: unknown): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
}

function client(timeoutMs = 60_000, connectTimeoutMs = 60_000) {
  const socket = new ScriptedSocket();
  let opened = '';
  const c = createBridgeClient('ws://127.0.0.1:1/bridge?token=t', {
    open: (url) => {
      opened = url;
      return socket as unknown as WebSocket;
    },
    timeoutMs,
    connectTimeoutMs,
  });
  return { ...c, socket, opened: () => opened };
}

const event: CoveEvent = { type: 'contacts', accountId: 3 };

describe('bridge client', () => {
  it('has exactly one function per operation, plus subscribe', () => {
    const { api } = client();
    expect(Object.keys(api).sort()).toEqual([...OP_NAMES, 'subscribe'].sort());
  });

  it('sends a call as {id, op, input} once open, and resolves it with the reply of the same id', async () => {
    const { api, socket, ready, opened } = client();
    expect(opened()).toBe('ws://127.0.0.1:1/bridge?token=t');
    const first = api.accounts({});
    const second = api.contacts({ accountId: 2 });
    expect(socket.sent).toEqual([]);
    socket.open();
    expect(await ready).toBe(true);
    expect(socket.sent.map((f) => [f.op, f.input])).toEqual([
      ['accounts', {}],
      ['contacts', { accountId: 2 }],
    ]);
    const [a, b] = socket.sent;
    socket.reply({ id: b?.id, result: { ok: false, error: { code: 'x', message: 'No.' } } });
    socket.reply({ id: a?.id, result: { ok: true, value: [] } });
    expect(await first).toEqual({ ok: true, value: [] });
    expect(await second).toEqual({ ok: false, error: { code: 'x', message: 'No.' } });
  });

  it('answers bridge-closed for the calls in flight and every later one when the socket closes', async () => {
    const { api, socket } = client();
    socket.open();
    const inFlight = api.appInfo({});
    socket.close();
    expect(await inFlight).toMatchObject({ ok: false, error: { code: 'bridge-closed' } });
    expect(await api.settings({})).toMatchObject({ ok: false, error: { code: 'bridge-closed' } });
    expect(socket.sent).toHaveLength(1);
  });

  it('answers bridge-timeout for a call the core does not answer, and ignores the late reply', async () => {
    const { api, socket } = client(30);
    socket.open();
    const result = await api.torStatus({});
    expect(result).toMatchObject({ ok: false, error: { code: 'bridge-timeout' } });
    expect(() => {
      socket.reply({ id: socket.sent[0]?.id, result: { ok: true, value: {} } });
    }).not.toThrow();
  });

  it('gives up connecting after its deadline: ready is false and calls answer bridge-closed', async () => {
    const { api, ready } = client(60_000, 20);
    const pending = api.appInfo({});
    expect(await ready).toBe(false);
    expect(await pending).toMatchObject({ ok: false, error: { code: 'bridge-closed' } });
  });

  it('delivers valid events to every subscriber until it unsubscribes, and drops frames outside the contract', () => {
    const { api, socket } = client();
    socket.open();
    const seen: CoveEvent[] = [];
    const other: CoveEvent[] = [];
    const stop = api.subscribe((e) => seen.push(e));
    api.subscribe((e) => other.push(e));
    socket.reply({ event });
    socket.reply({ event: { type: 'contacts', accountId: 'three' } });
    socket.reply({ event: { type: 'nope' } });
    socket.onmessage?.({ data: 'not json' });
    stop();
    socket.reply({ event: { type: 'accounts' } });
    expect(seen).toEqual([event]);
    expect(other).toEqual([event, { type: 'accounts' }]);
  });

  it('keeps delivering to the other listeners when one throws', () => {
    const { api, socket } = client();
    socket.open();
    const seen: CoveEvent[] = [];
    const originalError = console.error;
    console.error = () => undefined;
    try {
      api.subscribe(() => {
        throw new Error('listener bug');
      });
      api.subscribe((e) => seen.push(e));
      socket.reply({ event });
    } finally {
      console.error = originalError;
    }
    expect(seen).toEqual([event]);
  });
});
