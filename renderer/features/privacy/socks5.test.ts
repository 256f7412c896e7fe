import { describe, expect, it } from 'vitest';
import { checkSocks5, isIpv4, isIpv6, normaliseHost } from './socks5';

describe('SOCKS5 form checks', () => {
  it('knows an IPv4 literal', () => {
    for (const ok of ['127.0.0.1', '0.0.0.0', '255.255.255.255', '10.8.0.1']) expect(isIpv4(ok)).toBe(true);
    for (const bad of ['256.0.0.1', '1.2.3', '01.2.3.4', '1.2.3.4.5', 'localhost', '1.2.3.4 ', '']) expect(isIpv4(bad)).toBe(false);
  });

  it('knows an IPv6 literal', () => {
    for (const ok of ['::1', '::', 'fe80::1', '2001:db8::8a2e:370:7334', '1:2:3:4:5:6:7:8', '::ffff:192.0.2.1', '1::']) expect(isIpv6(ok)).toBe(true);
    for (const bad of ['1:2:3:4:5:6:7:8:9', '1::2::3', ':::', '12345::', 'fe80::1%eth0', 'g::1', '::ffff:999.0.0.1', '1:2:3:4:5:6:7']) expect(isIpv6(bad)).toBe(false);
  });

  it('drops the brackets of an IPv6 host', () => {
    expect(normaliseHost(' [::1] ')).toBe('::1');
    expect(normaliseHost('127.0.0.1')).toBe('127.0.0.1');
  });

  it('names every bad field', () => {
    expect(checkSocks5({ host: 'proxy.lan', port: '0', username: '', password: 'x' })).toEqual({
      host: expect.stringContaining('DNS leak') as unknown,
      port: 'The port is a number from 1 to 65535.',
      username: 'Enter the user name that goes with the password.',
    });
    expect(checkSocks5({ host: '127.0.0.1', port: '1080', username: 'u'.repeat(256), password: '' })).toEqual({ username: 'The user name is at most 255 bytes long.' });
    expect(checkSocks5({ host: '::1', port: '65535', username: '', password: '' })).toEqual({});
  });
});
