import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ProxyAuthError, ProxyRefusedError } from './errors';
import { socks5Connect } from './socks5';
import { replyText } from './socks5-handshake';

let server: Server | undefined;
afterEach(() => {
  server?.close();
});

/** A scripted proxy: answers each client message in turn with the next reply, and records what it got. */
async function scripted(replies: Buffer[]): Promise<{ port: number; got: Buffer[] }> {
  const got: Buffer[] = [];
  server = createServer((sock: Socket) => {
    sock.on('error', () => undefined);
    const queue = [...replies];
    sock.on('data', (d: Buffer) => {
      got.push(d);
      const next = queue.shift();
      if (next !== undefined) sock.write(next);
    });
  });
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  const a = server.address();
  if (a === null || typeof a === 'string') throw new Error('no port');
  return { port: a.port, got };
}

const OK = Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0, 80]);

describe('SOCKS5 handshake', () => {
  it('sends the name to the proxy (ATYP 3) with RFC 1929 auth, and keeps bytes that follow the reply', async () => {
    const p = await scripted([Buffer.from([5, 2]), Buffer.from([1, 0]), Buffer.concat([OK, Buffer.from('<stream>')])]);
    const sock = await socks5Connect({ host: '127.0.0.1', port: p.port, username: 'alice', password: 'pw' }, { host: 'a.test', port: 5222 }, { timeoutMs: 2000 }, 'The proxy');
    const first = await new Promise<string>((r) => sock.once('data', (d: Buffer) => { r(d.toString()); }));
    expect(first).toBe('<stream>');
    sock.destroy();
    expect(p.got[0]).toEqual(Buffer.from([5, 1, 2]));
    expect(p.got[1]).toEqual(Buffer.from([1, 5, ...Buffer.from('alice'), 2, ...Buffer.from('pw')]));
    expect(p.got[2]).toEqual(Buffer.from([5, 1, 0, 3, 6, ...Buffer.from('a.test'), 0x14, 0x66]));
  });

  it('turns a refused password and tor onion errors into typed errors with words', async () => {
    const bad = await scripted([Buffer.from([5, 2]), Buffer.from([1, 1])]);
    await expect(socks5Connect({ host: '127.0.0.1', port: bad.port, username: 'a', password: 'b' }, { host: 'a.test', port: 1 }, { timeoutMs: 2000 }, 'The proxy')).rejects.toBeInstanceOf(ProxyAuthError);
    server?.close();
    const onion = await scripted([Buffer.from([5, 0]), Buffer.from([5, 0xf0, 0, 1, 0, 0, 0, 0, 0, 0])]);
    const err = await socks5Connect({ host: '127.0.0.1', port: onion.port }, { host: 'a.test', port: 1 }, { timeoutMs: 2000 }, 'Tor').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProxyRefusedError);
    expect((err as Error).message).toContain('onion service was not found');
    expect(replyText(0x42)).toBe('reply code 66');
  });
});
