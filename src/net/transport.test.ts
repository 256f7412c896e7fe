import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectTransport, openTcp } from './direct';
import { AbortedError, ConnectRefusedError, InvalidTargetError, TransportDownError } from './errors';
import { validateSocks5Config } from './socks5';
import { TorTransport } from './tor';
import { validateTarget } from './transport';

let server: Server;
let port = 0;
beforeAll(async () => {
  server = createServer((s) => {
    s.on('error', () => undefined); // the client hangs up at once
    s.end('hi');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  if (a === null || typeof a === 'string') throw new Error('no port');
  port = a.port;
});
afterAll(() => {
  server.close();
});

describe('targets and proxy settings', () => {
  it('accepts names, IPs and onions; refuses bad ports and junk names', () => {
    expect(validateTarget({ host: 'a.test', port: 5222 })).toBeTruthy();
    expect(validateTarget({ host: '::1', port: 1 })).toBeTruthy();
    expect(validateTarget({ host: 'abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx.onion', port: 5222 })).toBeTruthy();
    expect(() => validateTarget({ host: 'a.test', port: 0 })).toThrow(InvalidTargetError);
    expect(() => validateTarget({ host: 'a b', port: 1 })).toThrow(InvalidTargetError);
    expect(() => validateTarget({ host: 'x'.repeat(300), port: 1 })).toThrow(InvalidTargetError);
  });

  it('wants the proxy by IP (no local DNS), both credentials or neither', () => {
    expect(validateSocks5Config({ host: 'localhost', port: 1080 }).host).toBe('127.0.0.1');
    expect(() => validateSocks5Config({ host: 'proxy.example', port: 1080 })).toThrow(/IP address/);
    expect(() => validateSocks5Config({ host: '127.0.0.1', port: 1080, username: 'u' })).toThrow(/both/);
    expect(() => validateSocks5Config({ host: '127.0.0.1', port: 1080, username: 'u', password: 'x'.repeat(256) })).toThrow(/255 bytes/);
  });
});

describe('direct TCP', () => {
  it('connects, and types its failures', async () => {
    const s = await new DirectTransport().connect({ host: '127.0.0.1', port });
    s.destroy();
    await expect(openTcp('127.0.0.1', 1)).rejects.toBeInstanceOf(ConnectRefusedError);
    const ac = new AbortController();
    ac.abort();
    await expect(openTcp('127.0.0.1', port, { signal: ac.signal })).rejects.toBeInstanceOf(AbortedError);
  });
});

describe('tor transport', () => {
  it('refuses every connection while tor is down, naming why', async () => {
    const t = new TorTransport({ socksEndpoint: () => ({ down: 'Tor is starting (40 %).' }) });
    await expect(t.connect({ host: 'a.test', port: 5222 })).rejects.toThrow(TransportDownError);
    await expect(t.connect({ host: 'a.test', port: 5222 })).rejects.toThrow('Tor is starting (40 %).');
  });

  it('gives each isolation key its own credentials, and new ones after newIdentity()', () => {
    const t = new TorTransport({ socksEndpoint: () => ({ host: '127.0.0.1', port: 9 }) });
    const a = t.credentials('alice');
    expect(a).not.toEqual(t.credentials('bob'));
    t.newIdentity();
    expect(t.credentials('alice')).not.toEqual(a);
  });
});
