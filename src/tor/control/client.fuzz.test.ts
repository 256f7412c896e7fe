/**
 * Fuzz: a fake control port answers each connection with one of 10,000 seeded, mostly malformed scripts (random
 * bytes, mutated or truncated replies, wrong codes, huge lines, stray data blocks, bare LFs, unsolicited replies,
 * premature closes, silence), split into random chunks. For every case the client must neither crash nor hang:
 * every command settles (resolved, or rejected with a TorError) within its timeout, nothing is left unhandled, and a
 * closed client fails fast. Deterministic: the PRNG is seeded and each case is a function of its number.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TorControlClient } from './client';
import { TorConnectionClosedError, TorError, TorProtocolError } from './errors';
import { ReplyParser } from './reply-parser';
import { FakeControlServer, type FakeConnection } from './testing/fake-server';
import { int, pick, prng, type Rand } from '../../../test/helpers/prng';

const SEED = 0xc0ffee;
const CASES = 10_000;
const CONCURRENCY = 48;
const TIMEOUT_MS = 150;
const MAX_LINE = 2048;
const SLACK_MS = 1500;


const EVENTS = [
  '650 STATUS_CLIENT NOTICE BOOTSTRAP PROGRESS=50 TAG=loading_descriptors SUMMARY="Loading relay descriptors"\r\n',
  '650 CIRC 7 BUILT $' + 'D'.repeat(40) + '~relay PURPOSE=GENERAL SOCKS_USERNAME="cove:a"\r\n',
  '650 CIRC 7 BUILT garbage-path\r\n',
  '650 STREAM 3 NEW 0 example.test:5222 SOURCE_ADDR=127.0.0.1:1234 PURPOSE=USER\r\n',
  '650+WARN\r\n..dotted\r\nplain\r\n.\r\n650 OK\r\n',
  '650 NOTICE some "text\r\n',
  '650 STATUS_CLIENT LOUD NOTHING\r\n',
];

/** Valid replies for `n` commands, with events between them. */
function validReplies(r: Rand, n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) {
    if (r() < 0.4) out += pick(r, EVENTS);
    out += pick(r, [
      '250 OK\r\n',
      `250-fuzz=${int(r, 1000)}\r\n250 OK\r\n`,
      '250+config-text=\r\nLog notice stdout\r\n..x\r\n.\r\n250 OK\r\n',
      '552 Unrecognized key "x"\r\n',
      '250-A=1\r\n250 B\r\n',
    ]);
  }
  return out;
}

/** Latin-1 only: one char is one byte on the wire. */
const PROTO_CHARS: readonly string[] = Array.from('0123456789-+ .\r\n"\\=ABCDEFGHIJKLMNOPQRSTUVWXYZ_$~,\0\xff');

function mutate(r: Rand, s: string): string {
  const chars = Array.from(s);
  for (let k = 1 + int(r, 3); k > 0; k--) {
    const at = int(r, chars.length + 1);
    const what = int(r, 3);
    if (what === 0) chars.splice(at, 1);
    else if (what === 1) chars.splice(at, 0, pick(r, PROTO_CHARS));
    else chars[at] = pick(r, PROTO_CHARS);
  }
  return chars.join('');
}

interface Script {
  readonly bytes: Buffer;
  /** After the bytes: end (FIN), destroy (RST), or keep the connection open and silent. */
  readonly then: 'end' | 'destroy' | 'silent';
}

function script(caseNo: number, commands: number): Script {
  const r = prng(SEED ^ Math.imul(caseNo, 0x9e3779b1));
  const then = pick(r, ['end', 'end', 'destroy', 'silent'] as const);
  const kind = int(r, 12);
  let text: string;
  switch (kind) {
    case 0:
      return { bytes: Buffer.from(Array.from({ length: int(r, 300) }, () => int(r, 256))), then };
    case 1:
      text = Array.from({ length: int(r, 300) }, () => pick(r, PROTO_CHARS)).join('');
      break;
    case 2:
      text = mutate(r, validReplies(r, commands));
      break;
    case 3: {
      const v = validReplies(r, commands);
      text = v.slice(0, int(r, v.length));
      return { bytes: Buffer.from(text, 'latin1'), then: r() < 0.5 ? 'end' : 'destroy' };
    }
    case 4:
      text = validReplies(r, commands).replace(/^\d{3}/gm, () => pick(r, ['150', '350', '25', '2500', 'abc', '250', '251', '650', '999']));
      break;
    case 5:
      text = `250-${'x'.repeat(MAX_LINE - 10 + int(r, 40))}${r() < 0.5 ? '\r\n250 OK\r\n' : ''}`;
      break;
    case 6:
      text = pick(r, ['250+x=\r\nline\r\n', '.\r\n250 OK\r\n', `250+big=\r\n${'d\r\n'.repeat(2000)}.\r\n250 OK\r\n`, '250+x=\r\n.\r\n', '650+X\r\nno end\r\n']);
      break;
    case 7:
      return { bytes: Buffer.alloc(0), then: r() < 0.5 ? 'end' : 'destroy' };
    case 8:
      text = validReplies(r, commands) + (r() < 0.3 ? '650 \r\n' : '');
      break;
    case 9:
      return { bytes: Buffer.alloc(0), then: 'silent' };
    case 10:
      text = validReplies(r, commands + 1 + int(r, 2));
      break;
    default:
      text = validReplies(r, commands).replace(/\r\n/g, r() < 0.5 ? '\n' : '\r');
  }
  return { bytes: Buffer.from(text, 'latin1'), then };
}

async function play(conn: FakeConnection): Promise<void> {
  conn.socket.setNoDelay(true);
  const first = await conn.nextLine(2000);
  const m = /^GETINFO fuzz\/(\d+)\/(\d+)$/.exec(first ?? '');
  if (m === null) {
    conn.destroy();
    return;
  }
  const s = script(Number(m[1]), Number(m[2]));
  const r = prng(Number(m[1]));
  let at = 0;
  while (at < s.bytes.length) {
    const n = 1 + int(r, r() < 0.2 ? 8 : 512);
    conn.send(s.bytes.subarray(at, at + n));
    at += n;
    if (r() < 0.3) await new Promise((res) => setImmediate(res));
  }
  if (s.then === 'end') conn.end();
  else if (s.then === 'destroy') conn.destroy();
}

interface Outcome {
  settledLate: number;
  slowestMs: number;
  errors: Map<string, number>;
  wrongErrors: string[];
  resolved: number;
  rejected: number;
}

async function runCase(port: number, caseNo: number, out: Outcome): Promise<void> {
  const r = prng(caseNo + 1);
  const extra = int(r, 4);
  const c = new TorControlClient({ host: '127.0.0.1', port }, { commandTimeoutMs: TIMEOUT_MS, limits: { maxLineBytes: MAX_LINE, maxReplyBytes: 4096 }, onListenerError: () => undefined });
  try {
    await c.connect({ timeoutMs: 2000 });
  } catch (err) {
    out.wrongErrors.push(`connect: ${String(err)}`);
    return;
  }
  const calls: (() => Promise<unknown>)[] = [
    () => c.getInfo(['version']),
    () => c.setConf([['ContactInfo', 'x "y"']]),
    () => c.signal('NEWNYM'),
    () => c.getConf(['SocksPort']),
    () => c.getBootstrapPhase(),
  ];
  const started = Date.now();
  const settled = (): void => {
    const ms = Date.now() - started;
    out.slowestMs = Math.max(out.slowestMs, ms);
    if (ms > TIMEOUT_MS + SLACK_MS) out.settledLate++;
  };
  const promises = [c.request(`GETINFO fuzz/${caseNo}/${1 + extra}`), ...Array.from({ length: extra }, () => pick(r, calls)())];
  const results = await Promise.allSettled(
    promises.map((p) =>
      p.then(
        (v) => {
          settled();
          return v;
        },
        (e: unknown) => {
          settled();
          throw e;
        },
      ),
    ),
  );
  for (const res of results) {
    if (res.status === 'fulfilled') out.resolved++;
    else {
      out.rejected++;
      const name = res.reason instanceof Error ? res.reason.name : typeof res.reason;
      out.errors.set(name, (out.errors.get(name) ?? 0) + 1);
      if (!(res.reason instanceof TorError)) out.wrongErrors.push(`case ${caseNo}: ${String(res.reason)}`);
    }
  }
  if (!c.isOpen) {
    // A closed client fails fast, with the typed error.
    const t0 = Date.now();
    const late = await c.getInfo(['version']).catch((e: unknown) => e);
    if (!(late instanceof TorConnectionClosedError) || Date.now() - t0 > 50) out.wrongErrors.push(`case ${caseNo}: closed client did not fail fast`);
  }
  await c.close();
}

describe('fuzz', () => {
  let server: FakeControlServer;
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown): void => {
    unhandled.push(e);
  };
  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    server = await FakeControlServer.start(play);
  });
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await server.close();
  });

  it(`the parser survives ${CASES * 5} random inputs, throwing only TorProtocolError`, () => {
    const r = prng(SEED);
    let threw = 0;
    for (let i = 0; i < CASES * 5; i++) {
      const p = new ReplyParser({ maxLineBytes: 256, maxReplyBytes: 1024 });
      const input = i % 2 === 0 ? mutate(r, validReplies(r, 3)) : Array.from({ length: int(r, 100) }, () => pick(r, PROTO_CHARS)).join('');
      try {
        const bytes = Buffer.from(input, 'latin1');
        for (let at = 0; at < bytes.length; at += 1 + int(r, 16)) p.push(bytes.subarray(at, at + 1 + int(r, 16)));
      } catch (err) {
        threw++;
        expect(err).toBeInstanceOf(TorProtocolError);
      }
    }
    expect(threw).toBeGreaterThan(CASES);
  });

  it(`${CASES} scripted malformed control ports: every command settles in time with a typed error, nothing hangs`, async () => {
    const out: Outcome = { settledLate: 0, slowestMs: 0, errors: new Map(), wrongErrors: [], resolved: 0, rejected: 0 };
    const t0 = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < CASES) await runCase(server.port, next++, out);
      }),
    );
    const ms = Date.now() - t0;
    const errors = [...out.errors].map(([k, v]) => `${k} ${v}`).join(', ');
    console.log(`[fuzz] ${CASES} cases in ${ms} ms: ${out.resolved} commands resolved, ${out.rejected} rejected (${errors}); slowest settled after ${out.slowestMs} ms`);
    expect(out.wrongErrors).toEqual([]);
    expect(out.settledLate).toBe(0);
    expect(unhandled).toEqual([]);
    expect(out.resolved).toBeGreaterThan(100);
    expect(out.rejected).toBeGreaterThan(CASES / 2);
  }, 60_000);
});
