import { describe, expect, it } from 'vitest';
import { parseBridgeLine } from './bridges';
import { buildTorrc, TorConfigError } from './torrc';

const FP = '2B280B23E1107BB62ABFC40DDCC8824814F80A72';
const OBFS4 = parseBridgeLine(`obfs4 192.0.2.10:443 ${FP} cert=${'A'.repeat(70)} iat-mode=0`);

describe('torrc', () => {
  it('starts offline, with OS-chosen ports written to files and cookie auth', () => {
    const t = buildTorrc({ dataDir: '/p/tor' });
    expect(t).toContain('DisableNetwork 1\n');
    expect(t).toContain('ControlPort auto\n');
    expect(t).toContain('ControlPortWriteToFile /p/tor/control-port\n');
    expect(t).toContain('CookieAuthentication 1\n');
    expect(t).toMatch(/^SocksPort auto IsolateSOCKSAuth$/m);
    expect(t).not.toMatch(/UseBridges|Proxy/);
  });

  it('wires bridges to their transport plugin and refuses a bridge with no plugin', () => {
    const t = buildTorrc({ dataDir: '/d', bridges: [OBFS4], transportPlugins: { obfs4: '/usr/bin/obfs4proxy' } });
    expect(t).toContain('UseBridges 1\nClientTransportPlugin obfs4 exec /usr/bin/obfs4proxy\n');
    expect(t).toContain(`Bridge ${OBFS4.line}\n`);
    expect(() => buildTorrc({ dataDir: '/d', bridges: [OBFS4] })).toThrow(/no obfs4 transport plugin/);
  });

  it('puts upstream proxy secrets in the file, quoted, and refuses line breaks', () => {
    const t = buildTorrc({ dataDir: '/d', upstreamProxy: { type: 'socks5', host: '127.0.0.1', port: 1080, username: 'u', password: 'p w"x' } });
    expect(t).toContain('Socks5Proxy 127.0.0.1:1080\nSocks5ProxyUsername u\nSocks5ProxyPassword "p w\\"x"\n');
    const h = buildTorrc({ dataDir: '/d', upstreamProxy: { type: 'https', host: 'proxy.lan', port: 3128, username: 'a', password: 'b' } });
    expect(h).toContain('HTTPSProxy proxy.lan:3128\nHTTPSProxyAuthenticator a:b\n');
    expect(() => buildTorrc({ dataDir: '/d', upstreamProxy: { type: 'socks5', host: 'h', port: 1, username: 'u', password: 'x\nSocksPort 1' } })).toThrow(TorConfigError);
    expect(() => buildTorrc({ dataDir: '/d', upstreamProxy: { type: 'socks5', host: 'h', port: 1, username: '', password: 'p' } })).toThrow(/1 to 255 bytes/);
    expect(() => buildTorrc({ dataDir: '/d', upstreamProxy: { type: 'socks5', host: 'h', port: 70000 } })).toThrow(/out of range/);
    expect(() => buildTorrc({ dataDir: '/d', extraLines: ['A 1\nB 2'] })).toThrow(/one line/);
  });
});
