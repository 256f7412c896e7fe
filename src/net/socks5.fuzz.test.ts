/**
 * Fuzz: a fake SOCKS5 proxy answers each of 10,000 connections with a seeded, mostly malformed script (random bytes,
 * wrong versions and methods, failed or garbled auth, reply codes, unknown address types, truncated or oversized
 * addresses, chunked writes, premature close, silence). Every connect must settle within its deadline, a failure
 * must be a typed NetError, and a success may only come from a well-formed reply. No crash, no hang, no unhandled
 * rejection (Vitest fails the run on one).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { int, pick, prng, randomBytes, type Rand } from '../../test/helpers/prng';
import { NetError } from './errors';
import { socks5Connect } from './socks5';

const CASES = 10_000;
const CONCURRENCY = 50;
const TIMEOUT_MS = 200;

interface Script {
  kind: number;
  /** Chunks written one after the other once the client has sent something. */
  chunks: Buffer[];
  /** After the chunks: close the connection, or stay silent until the client gives up. */
  then: 'close' | 'silence';
  /** True if the script is a complete, valid success: the only case allowed to resolve. */
  valid: boolean;
}

const OK_METHOD_NONE = Buffer.from([5, 0]);
const OK_METHOD_AUTH = Buffer.from([5, 2]);
const OK_AUTH = Buffer.from([1, 0]);

function reply(code: number, atyp: number, addr: Buffer): Buffer {
  return Buffer.concat([Buffer.from([5, code, 0, atyp]), addr, Buffer.from([0x1f, 0x90])]);
}

const VALID_REPLY = reply(0, 1, Buffer.from([127, 0, 0, 1]));

function script(r: Rand, withAuth: boolean): Script {
  const method = withAuth ? OK_METHOD_AUTH : OK_METHOD_NONE;
  const prefix = withAuth ? [method, OK_AUTH] : [method];
  switch (int(r, 12)) {
    case 0:
      return { kind: 0, chunks: [randomBytes(r, 1 + int(r, 40))], then: 'close', valid: false };
    case 1: // wrong version or a method we did not offer
      return { kind: 1, chunks: [Buffer.from([pick(r, [4, 6, 0, 0xff]), int(r, 256)])], then: pick(r, ['close', 'silence']), valid: false };
    case 2: // no acceptable method
      return { kind: 2, chunks: [Buffer.from([5, 0xff])], then: 'close', valid: false };
    case 3: // auth refused or garbled
      return withAuth ? { kind: 3, chunks: [method, Buffer.from([pick(r, [1, 5, 0]), 1 + int(r, 255)])], then: 'close', valid: false } : { kind: 3, chunks: [method, randomBytes(r, 3)], then: 'close', valid: false };
    case 4: // a failure reply code
      return { kind: 4, chunks: [...prefix, reply(1 + int(r, 8), 1, Buffer.from([10, 0, 0, 1]))], then: 'close', valid: false };
    case 5: // unknown address type
      return { kind: 5, chunks: [...prefix, reply(0, pick(r, [0, 2, 5, 0xff]), randomBytes(r, int(r, 20)))], then: pick(r, ['close', 'silence']), valid: false };
    case 6: // domain address whose length byte promises more than comes
      return { kind: 6, chunks: [...prefix, Buffer.concat([Buffer.from([5, 0, 0, 3, 200]), randomBytes(r, int(r, 50))])], then: pick(r, ['close', 'silence']), valid: false };
    case 7: // truncated reply
      return { kind: 7, chunks: [...prefix, VALID_REPLY.subarray(0, 1 + int(r, VALID_REPLY.length - 1))], then: pick(r, ['close', 'silence']), valid: false };
    case 8: // nothing at all
      return { kind: 8, chunks: [], then: pick(r, ['close', 'silence']), valid: false };
    case 9: // a valid reply, cut into random chunks
      return { kind: 9, chunks: chop(r, Buffer.concat([...prefix, VALID_REPLY])), then: 'silence', valid: true };
    case 10: // bad reserved byte / bad version in the final reply
      return { kind: 10, chunks: [...prefix, Buffer.from([pick(r, [4, 0]), 0, 0, 1, 127, 0, 0, 1, 0, 80])], then: 'close', valid: false };
    default: // an enormous burst of junk
      return { kind: 11, chunks: [Buffer.concat([method, randomBytes(r, 2000 + int(r, 60_000))])], then: 'close', valid: false };
  }
}

function chop(r: Rand, buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let i = 0;
  while (i < buf.length) {
    const n = 1 + int(r, 6);
    out.push(buf.subarray(i, i + n));
    i += n;
  }
  return out;
}

async function play(sock: Socket, s: Script): Promise<void> {
  for (const chunk of s.chunks) {
    if (sock.destroyed) return;
    sock.write(chunk);
    await new Promise((r) => setImmediate(r));
  }
  if (s.then === 'close') sock.end();
}

/** One fake proxy per worker: it serves one connection at a time, so each connection meets the script set for it. */
interface FakeProxy {
  port: number;
  script: Script | undefined;
  close(): Promise<void>;
}

async function fakeProxy(): Promise<FakeProxy> {
  const fake: FakeProxy = { port: 0, script: undefined, close: () => Promise.resolve() };
  const open = new Set<Socket>();
  const server: Server = createServer((sock) => {
    open.add(sock);
    sock.once('close', () => open.delete(sock));
    sock.on('error', () => undefined);
    const s = fake.script;
    if (s === undefined) sock.destroy();
    else sock.once('data', () => void play(sock, s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const a = server.address();
  if (a === null || typeof a === 'string') throw new Error('no port');
  fake.port = a.port;
  fake.close = () =>
    new Promise((resolve) => {
      server.close(() => {
        resolve();
      });
      for (const sock of open) sock.destroy();
    });
  return fake;
}

const proxies: FakeProxy[] = [];
beforeAll(async () => {
  for (let i = 0; i < CONCURRENCY; i += 1) proxies.push(await fakeProxy());
});

afterAll(async () => {
  await Promise.all(proxies.map((p) => p.close()));
});

describe('SOCKS5 client under 10,000 malformed replies', () => {
  it('settles every connect in time, with a typed error unless the reply was valid', async () => {
    let nextCase = 0;
    const badKinds = new Set<string>();
    const outcomes = { resolved: 0, rejected: 0, late: 0, wrongType: 0, resolvedInvalid: 0 };
    const worker = async (fake: FakeProxy): Promise<void> => {
      for (;;) {
        const id = nextCase++;
        if (id >= CASES) return;
        const r = prng(id + 1);
        const withAuth = r() < 0.5;
        const s = script(r, withAuth);
        fake.script = s;
        const t0 = Date.now();
        try {
          const sock = await socks5Connect({ host: '127.0.0.1', port: fake.port, ...(withAuth ? { username: 'u', password: 'p' } : {}) }, { host: 'a.test', port: 5222 }, { timeoutMs: TIMEOUT_MS }, 'The fuzz proxy');
          sock.destroy();
          outcomes.resolved += 1;
          if (!s.valid) {
            outcomes.resolvedInvalid += 1;
            badKinds.add(`${String(s.kind)}:${s.chunks.map((c) => c.toString('hex')).join('|').slice(0, 80)}`);
          }
        } catch (err) {
          outcomes.rejected += 1;
          if (!(err instanceof NetError)) outcomes.wrongType += 1;
        } finally {
          if (Date.now() - t0 > TIMEOUT_MS + 1000) outcomes.late += 1;
        }
      }
    };
    await Promise.all(proxies.map(worker));
    console.log(`socks5 fuzz: ${JSON.stringify(outcomes)}`, [...badKinds].slice(0, 12));
    expect(outcomes.resolved + outcomes.rejected).toBe(CASES);
    expect(outcomes.wrongType).toBe(0);
    expect(outcomes.late).toBe(0);
    expect(outcomes.resolvedInvalid).toBe(0);
    expect(outcomes.resolved).toBeGreaterThan(0); // the valid scripts do get through
  }, 120_000);
});
