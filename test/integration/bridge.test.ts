/**
 * The browser bridge (src/bridge/server.ts), real server, real sockets: who it refuses (token, Origin, Host, at the
 * upgrade and for the page), what it serves (the renderer's files, never anything outside them), and the protocol
 * (calls checked against the contract, bad frames answered without harm, events pushed, a cap on calls in flight).
 * The service behind it is a small one (src/bridge/testing/service.ts); the real core has its own tests.
 */
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { CoveEvent } from '../../src/api/contract';
import { CoveError } from '../../src/api/result';
import { startBridge, type Bridge } from '../../src/bridge/server';
import { gate, TestService } from '../../src/bridge/testing/service';
import { Logger, type LogRecord } from '../../src/log/redact';
import { trackFailures } from '../rig/lifecycle';
import { canConnect, finishRunDir, makeRunDir } from '../rig/util';

const failures = trackFailures();
const SECRET = 'NOT-FOR-THE-PAGE-6f1c';
const info = { version: '0.1.0', platform: 'linux', shell: 'bridge', profile: 'none', keychain: false } as const;
const held = gate<undefined>();
const service = new TestService({
  appInfo: () => Promise.resolve(info),
  accounts: () => Promise.reject(new CoveError('profile-locked', 'Unlock your profile first.')),
  // Output outside the contract: the bridge must not pass it on.
  settings: () => Promise.resolve({ theme: 'purple' } as never),
  torNewIdentity: async () => {
    await held.promise;
    return {};
  },
});
const logs: LogRecord[] = [];
let dir: string;
let bridge: Bridge;
let origin: string;

beforeAll(async () => {
  dir = await makeRunDir('bridge');
  const www = join(dir, 'www');
  await mkdir(join(www, 'assets', 'sub'), { recursive: true });
  await writeFile(join(dir, 'secret.txt'), SECRET);
  await writeFile(join(www, 'index.html'), await readFile(join(import.meta.dirname, '..', '..', 'renderer', 'index.html')));
  await writeFile(join(www, 'assets', 'app.js'), 'console.log("cove");\n');
  await writeFile(join(www, '.hidden.txt'), SECRET);
  await writeFile(join(www, 'notes.xyz'), SECRET);
  await symlink(join(dir, 'secret.txt'), join(www, 'assets', 'link.js'));
  bridge = await startBridge({ service, rendererDir: www, log: new Logger('test', (r) => logs.push(r), 'debug') });
  origin = `http://127.0.0.1:${bridge.port}`;
});

afterAll(async () => {
  held.open(undefined);
  await bridge.close();
  await finishRunDir(dir, failures.failed);
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function http(path: string, options: { host?: string; method?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: bridge.port, path, method: options.method ?? 'GET', headers: { host: options.host ?? `127.0.0.1:${bridge.port}` }, timeout: 5000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

type Opened = { kind: 'open'; ws: WebSocket; frames: Frames } | { kind: 'refused'; status: number; data: string };

function connect(options: { token?: string | null; origin?: string | null; host?: string; path?: string } = {}): Promise<Opened> {
  const token = options.token === undefined ? bridge.token : options.token;
  const query = token === null ? '' : `?token=${encodeURIComponent(token)}`;
  const headers: Record<string, string> = {};
  const originHeader = options.origin === undefined ? origin : options.origin;
  if (originHeader !== null) headers.Origin = originHeader;
  if (options.host !== undefined) headers.Host = options.host;
  const ws = new WebSocket(`ws://127.0.0.1:${bridge.port}${options.path ?? '/bridge'}${query}`, { headers, handshakeTimeout: 5000 });
  return new Promise((resolve, reject) => {
    const frames = new Frames(ws);
    ws.once('open', () => {
      resolve({ kind: 'open', ws, frames });
    });
    ws.once('unexpected-response', (_req, res) => {
      let data = '';
      res.on('data', (c: Buffer) => (data += c.toString()));
      res.on('end', () => {
        resolve({ kind: 'refused', status: res.statusCode ?? 0, data });
      });
      res.on('error', () => {
        resolve({ kind: 'refused', status: res.statusCode ?? 0, data });
      });
      ws.on('error', () => undefined);
    });
    ws.once('error', reject);
  });
}

async function open(): Promise<{ ws: WebSocket; frames: Frames }> {
  const c = await connect();
  if (c.kind !== 'open') throw new Error(`the bridge refused a good socket (${c.status})`);
  return c;
}

/** Every JSON frame a socket receives, in order, and the close code. */
class Frames {
  private readonly queue: unknown[] = [];
  private readonly waiters: ((frame: unknown) => void)[] = [];
  readonly closed: Promise<number>;

  constructor(ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const frame: unknown = JSON.parse(data.toString('utf8'));
      const waiter = this.waiters.shift();
      if (waiter === undefined) this.queue.push(frame);
      else waiter(frame);
    });
    this.closed = new Promise((resolve) => {
      ws.once('close', (code: number) => {
        resolve(code);
      });
    });
  }

  next(timeoutMs = 5000): Promise<unknown> {
    if (this.queue.length > 0) return Promise.resolve(this.queue.shift());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error('no frame from the bridge in time'));
      }, timeoutMs);
      const waiter = (frame: unknown): void => {
        clearTimeout(timer);
        resolve(frame);
      };
      this.waiters.push(waiter);
    });
  }

  get buffered(): number {
    return this.queue.length;
  }
}

function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`${what}: no answer in ${ms} ms`));
    }, ms);
  });
  return Promise.race([promise, late]).finally(() => {
    clearTimeout(timer);
  });
}

describe('browser bridge: binding and the page', () => {
  it('listens on 127.0.0.1 only', async () => {
    expect(new URL(bridge.url).hostname).toBe('127.0.0.1');
    expect(await canConnect('127.0.0.1', bridge.port)).toBe(true);
    expect(await canConnect('127.0.0.2', bridge.port)).toBe(false);
    expect(await canConnect('::1', bridge.port)).toBe(false);
  });

  it('serves the page with the token, its CSP meta rewritten to allow the bridge socket, and the security headers', async () => {
    const page = await http(new URL(bridge.url).pathname + new URL(bridge.url).search);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; font-src 'self'; connect-src ws://127.0.0.1:${bridge.port}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
    expect(page.headers['content-security-policy']).toBe(csp);
    expect(page.headers).toMatchObject({ 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' });
    const meta = /http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(page.body)?.[1];
    expect(meta).toContain(`connect-src ws://127.0.0.1:${bridge.port}`);
    expect(meta?.startsWith("default-src 'none'")).toBe(true);
    const head = await http(`/?token=${bridge.token}`, { method: 'HEAD' });
    expect([head.status, head.body]).toEqual([200, '']);
  });

  it.each([
    ['no token', '/'],
    ['no token (index.html)', '/index.html'],
    ['a wrong token', '/?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['a token of the wrong length', '/?token=abc'],
  ])('refuses the page with %s', async (_what, path) => {
    const r = await http(path);
    expect(r.status).toBe(403);
    expect(r.body).not.toContain('<html');
    expect(r.headers['content-security-policy']).toContain("default-src 'none'");
  });

  it.each(['localhost:PORT', 'rebind.example:PORT', '127.0.0.1', '127.0.0.1:1', 'localhost'])('refuses the page and its files for Host %s (DNS rebinding)', async (host) => {
    const h = host.replace('PORT', String(bridge.port));
    expect((await http(`/?token=${bridge.token}`, { host: h })).status).toBe(403);
    expect((await http('/assets/app.js', { host: h })).status).toBe(403);
  });

  it('serves static assets without the token, with their content type, and only GET and HEAD', async () => {
    const js = await http('/assets/app.js');
    expect([js.status, js.headers['content-type'], js.body]).toEqual([200, 'text/javascript; charset=utf-8', 'console.log("cove");\n']);
    expect(js.headers['cross-origin-resource-policy']).toBe('same-origin');
    const post = await http('/assets/app.js', { method: 'POST' });
    expect([post.status, post.headers.allow]).toEqual([405, 'GET, HEAD']);
  });

  it.each([
    '/../secret.txt',
    '/assets/../../secret.txt',
    '/assets/%2e%2e/%2e%2e/secret.txt',
    '/..%2fsecret.txt',
    '/%2e%2e%2fsecret.txt',
    '/assets/..%5c..%5csecret.txt',
    '/assets/link.js',
    '/.hidden.txt',
    '/notes.xyz',
    '/assets/',
    '/assets',
    '/assets/sub',
    '/%E0%A4%A',
    '/x%00.js',
    `/${'a/'.repeat(50)}`,
  ])('never serves anything outside the renderer, nor lists a directory: %s', async (path) => {
    const r = await http(path);
    expect([400, 404]).toContain(r.status);
    expect(r.body).not.toContain(SECRET);
  });
});

describe('browser bridge: the WebSocket gate', () => {
  it.each([
    ['a wrong token', { token: 'A'.repeat(43) }],
    ['a missing token', { token: null }],
    ['the token of another length', { token: `${'A'.repeat(43)}A` }],
    ['a foreign Origin', { origin: 'http://evil.example' }],
    ['an Origin of another port', { origin: 'http://127.0.0.1:1' }],
    ['no Origin', { origin: null }],
    ['Host localhost', { host: `localhost:PORT` }],
    ['a rebinding Host', { host: 'rebind.example:PORT' }],
    ['another path', { path: '/other' }],
  ] as const)('refuses %s with 403 at the upgrade, before any WebSocket data', async (_what, options) => {
    const host = 'host' in options ? options.host.replace('PORT', String(bridge.port)) : undefined;
    const c = await within(10_000, 'upgrade', connect({ ...options, ...(host === undefined ? {} : { host }) }));
    expect(c.kind).toBe('refused');
    if (c.kind === 'refused') expect([c.status, c.data]).toEqual([403, '']);
  });
});

describe('browser bridge: the protocol', () => {
  it('round-trips a call, checked against the contract both ways', async () => {
    const { ws, frames } = await open();
    ws.send(JSON.stringify({ id: 1, op: 'appInfo', input: {} }));
    expect(await frames.next()).toEqual({ id: 1, result: { ok: true, value: info } });
    ws.send(JSON.stringify({ id: 2, op: 'accounts', input: {} }));
    expect(await frames.next()).toEqual({ id: 2, result: { ok: false, error: { code: 'profile-locked', message: 'Unlock your profile first.' } } });
    ws.send(JSON.stringify({ id: 3, op: 'settings', input: {} }));
    expect(await frames.next()).toMatchObject({ id: 3, result: { ok: false, error: { code: 'internal' } } });
    ws.send(JSON.stringify({ id: 4, op: 'contacts', input: { accountId: 1 } }));
    expect(await frames.next()).toMatchObject({ id: 4, result: { ok: false, error: { code: 'not-in-test' } } });
    ws.close();
  });

  it('answers malformed frames and bad input clearly, and keeps serving', async () => {
    const { ws, frames } = await open();
    const bad = async (payload: string | Buffer, id: number | null, code: string): Promise<string> => {
      ws.send(payload);
      const frame = (await frames.next()) as { id: unknown; result: { ok: boolean; error: { code: string; message: string } } };
      expect([frame.id, frame.result.ok, frame.result.error.code]).toEqual([id, false, code]);
      return frame.result.error.message;
    };
    expect(await bad('this is not json', null, 'bridge-bad-frame')).toMatch(/not JSON/);
    await bad('[1,2,3]', null, 'bridge-bad-frame');
    await bad('{"op":"appInfo","input":{}}', null, 'bridge-bad-frame');
    await bad('{"id":9,"op":42}', 9, 'bridge-bad-frame');
    await bad(Buffer.from([1, 2, 3]), null, 'bridge-bad-frame');
    await bad('{"id":10,"op":"noSuchOperation","input":{}}', 10, 'api-unknown-operation');
    await bad('{"id":11,"op":"__proto__","input":{}}', 11, 'api-unknown-operation');
    expect(await bad('{"id":12,"op":"profileUnlock","input":{"passphrase":5}}', 12, 'api-bad-input')).toContain('passphrase');
    await bad('{"id":13,"op":"appInfo","input":{"extra":true}}', 13, 'api-bad-input');
    ws.send(JSON.stringify({ id: 14, op: 'appInfo', input: {} }));
    expect(await frames.next()).toEqual({ id: 14, result: { ok: true, value: info } });
    ws.close();
  });

  it('closes a socket that sends a frame over 1 MiB (1009), and serves the next one', async () => {
    const { ws, frames } = await open();
    ws.on('error', () => undefined);
    ws.send(JSON.stringify({ id: 1, op: 'appInfo', input: { pad: 'x'.repeat(1024 * 1024) } }));
    expect(await within(10_000, 'close', frames.closed)).toBe(1009);
    const next = await open();
    next.ws.send(JSON.stringify({ id: 1, op: 'appInfo', input: {} }));
    expect(await next.frames.next()).toEqual({ id: 1, result: { ok: true, value: info } });
    next.ws.close();
  });

  it('pushes every event of the core, and drops one outside the contract', async () => {
    const a = await open();
    const b = await open();
    const event: CoveEvent = { type: 'contacts', accountId: 4 };
    service.emit({ type: 'contacts', accountId: 'four' });
    service.emit({ type: 'no-such-event' });
    service.emit(event);
    expect(await a.frames.next()).toEqual({ event });
    expect(await b.frames.next()).toEqual({ event });
    expect(logs.some((r) => r.level === 'error' && r.message.includes('dropped an event'))).toBe(true);
    a.ws.close();
    b.ws.close();
  });

  it('caps the calls in flight on one socket: the 65th is answered bridge-busy, the rest complete', async () => {
    const { ws, frames } = await open();
    for (let id = 1; id <= 65; id += 1) ws.send(JSON.stringify({ id, op: 'torNewIdentity', input: {} }));
    expect(await frames.next()).toMatchObject({ id: 65, result: { ok: false, error: { code: 'bridge-busy' } } });
    expect(frames.buffered).toBe(0);
    held.open(undefined);
    const answered = new Set<unknown>();
    for (let i = 0; i < 64; i += 1) {
      const frame = (await frames.next()) as { id: number; result: unknown };
      expect(frame.result).toEqual({ ok: true, value: {} });
      answered.add(frame.id);
    }
    expect(answered.size).toBe(64);
    ws.close();
  });
});

describe('browser bridge: closing', () => {
  it('closes its sockets (1001) and stops listening', async () => {
    const { frames } = await open();
    await within(10_000, 'close', bridge.close());
    expect(await within(5000, 'socket close', frames.closed)).toBe(1001);
    expect(await canConnect('127.0.0.1', bridge.port)).toBe(false);
    expect(service.subscribers).toBe(0);
  });
});
