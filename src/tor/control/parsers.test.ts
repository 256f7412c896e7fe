import { describe, expect, it } from 'vitest';
import { TorProtocolError } from './errors';
import { rawEvent, typedEvent } from './events';
import {
  clockSkew,
  parseBootstrapPhase,
  parseCircuitStatus,
  parseControlPortFile,
  parseGetConfReply,
  parseGetInfoReply,
  parseListeners,
  parseProtocolInfo,
  parseStatusBody,
  parseStreamStatus,
} from './parsers';
import { ReplyParser, type Reply } from './reply-parser';

function reply(text: string): Reply {
  const r = new ReplyParser().push(Buffer.from(text));
  if (r.length !== 1 || r[0] === undefined) throw new Error('test input is not one reply');
  return r[0];
}

const FP1 = 'A'.repeat(40);
const FP2 = 'b1'.repeat(20);

describe('reply parsers', () => {
  it('reads GETINFO values, data blocks included', () => {
    const r = reply('250-version=0.4.9.11\r\n250-net/listeners/socks="127.0.0.1:9050"\r\n250+circuit-status=\r\n1 BUILT\r\n2 LAUNCHED\r\n.\r\n250-empty=\r\n250 OK\r\n');
    expect(Object.fromEntries(parseGetInfoReply(r))).toEqual({
      version: '0.4.9.11',
      'net/listeners/socks': '"127.0.0.1:9050"',
      'circuit-status': '1 BUILT\n2 LAUNCHED',
      empty: '',
    });
    expect(() => parseGetInfoReply(reply('250-x=1\r\n250 NOT OK\r\n'))).toThrow(TorProtocolError);
    expect(() => parseGetInfoReply(reply('250-nokey\r\n250 OK\r\n'))).toThrow(TorProtocolError);
  });

  it('reads GETCONF as tor writes it: bare, escaped-and-quoted, unset, repeated', () => {
    // Taken from tor 0.4.9.11: ContactInfo set to `"q" a \ b #x` comes back quoted, `plain "q" \ b` does not.
    const r = reply('250-MaxCircuitDirtiness=600\r\n250-ContactInfo="\\"q\\" a \\\\ b #x"\r\n250-Other=plain "q" \\ b\r\n250-SocksPort=auto\r\n250-SocksPort=9999\r\n250 Bridge\r\n');
    expect(parseGetConfReply(r)).toEqual([
      ['MaxCircuitDirtiness', '600'],
      ['ContactInfo', '"q" a \\ b #x'],
      ['Other', 'plain "q" \\ b'],
      ['SocksPort', 'auto'],
      ['SocksPort', '9999'],
      ['Bridge', undefined],
    ]);
  });

  it('reads PROTOCOLINFO', () => {
    const r = reply('250-PROTOCOLINFO 1\r\n250-AUTH METHODS=COOKIE,SAFECOOKIE COOKIEFILE="/tmp/x y/control_auth_cookie"\r\n250-VERSION Tor="0.4.9.11"\r\n250 OK\r\n');
    const info = parseProtocolInfo(r);
    expect([...info.methods]).toEqual(['COOKIE', 'SAFECOOKIE']);
    expect(info.cookieFile).toBe('/tmp/x y/control_auth_cookie');
    expect(info.torVersion).toBe('0.4.9.11');
    expect(() => parseProtocolInfo(reply('250-PROTOCOLINFO 1\r\n250 OK\r\n'))).toThrow(TorProtocolError);
  });
});

describe('bootstrap status', () => {
  it('reads status/bootstrap-phase by keyword', () => {
    expect(parseBootstrapPhase('NOTICE BOOTSTRAP PROGRESS=0 TAG=starting SUMMARY="Starting"')).toEqual({
      severity: 'NOTICE',
      progress: 0,
      tag: 'starting',
      summary: 'Starting',
    });
    // keyword order and unknown keywords do not matter
    expect(parseBootstrapPhase('NOTICE BOOTSTRAP TAG=done NEW_THING=1 PROGRESS=100 SUMMARY="Done"').progress).toBe(100);
  });

  it('reads a bootstrap warning: no route to the bridge', () => {
    const b = parseBootstrapPhase(
      'WARN BOOTSTRAP PROGRESS=10 TAG=conn_done SUMMARY="Connected to a relay" WARNING="No route to host" REASON=NOROUTE COUNT=3 RECOMMENDATION=warn HOSTADDR="192.0.2.1:443"',
    );
    expect(b).toEqual({
      severity: 'WARN',
      progress: 10,
      tag: 'conn_done',
      summary: 'Connected to a relay',
      warning: 'No route to host',
      reason: 'NOROUTE',
      count: 3,
      recommendation: 'warn',
      hostAddr: '192.0.2.1:443',
    });
  });

  it.each([
    'NOTICE BOOTSTRAP TAG=x SUMMARY="y"',
    'NOTICE BOOTSTRAP PROGRESS=101 TAG=x',
    'NOTICE BOOTSTRAP PROGRESS=ten TAG=x',
    'NOTICE BOOTSTRAP PROGRESS=5',
    'LOUD BOOTSTRAP PROGRESS=5 TAG=x',
    'NOTICE CIRCUIT_ESTABLISHED',
  ])('refuses %s', (text) => {
    expect(() => parseBootstrapPhase(text)).toThrow(TorProtocolError);
  });

  it('types STATUS_CLIENT events, bootstrap and clock skew', () => {
    const ev = typedEvent(rawEvent(reply('650 STATUS_CLIENT NOTICE BOOTSTRAP PROGRESS=10 TAG=conn_done SUMMARY="Connected to a relay"\r\n')));
    expect(ev?.name).toBe('STATUS_CLIENT');
    if (ev?.name !== 'STATUS_CLIENT') throw new Error('unreachable');
    expect(ev.event.bootstrap).toEqual({ severity: 'NOTICE', progress: 10, tag: 'conn_done', summary: 'Connected to a relay' });
    const skew = parseStatusBody('WARN CLOCK_SKEW SKEW=-3600 SOURCE=CONSENSUS');
    expect(clockSkew(skew)).toEqual({ skewSeconds: -3600, source: 'CONSENSUS' });
    expect(clockSkew(parseStatusBody('NOTICE ENOUGH_DIR_INFO'))).toBeUndefined();
  });
});

describe('circuits, streams, listeners', () => {
  it('reads circuit-status lines', () => {
    const value = [
      `5 BUILT $${FP1}~guard,$${FP2}~middle,$${FP1}=exit BUILD_FLAGS=NEED_CAPACITY PURPOSE=GENERAL TIME_CREATED=2025-11-23T12:00:00.000000 SOCKS_USERNAME="cove:alice" SOCKS_PASSWORD="x"`,
      '6 LAUNCHED BUILD_FLAGS=NEED_CAPACITY PURPOSE=GENERAL',
      '7 CLOSED $' + FP1 + ' REASON=FINISHED',
    ].join('\n');
    const [a, b, c] = parseCircuitStatus(value);
    expect(a).toMatchObject({
      id: '5',
      status: 'BUILT',
      path: [
        { fingerprint: FP1, nickname: 'guard' },
        { fingerprint: FP2.toUpperCase(), nickname: 'middle' },
        { fingerprint: FP1, nickname: 'exit' },
      ],
      purpose: 'GENERAL',
      buildFlags: ['NEED_CAPACITY'],
      socksUsername: 'cove:alice',
    });
    expect(b).toMatchObject({ id: '6', status: 'LAUNCHED', path: [] });
    expect(b?.socksUsername).toBeUndefined();
    expect(c).toMatchObject({ status: 'CLOSED', path: [{ fingerprint: FP1 }], reason: 'FINISHED' });
    expect(parseCircuitStatus('')).toEqual([]);
    expect(() => parseCircuitStatus('5 BUILT notafingerprint')).toThrow(TorProtocolError);
  });

  it('reads stream-status lines and STREAM events', () => {
    expect(parseStreamStatus('12 SUCCEEDED 5 example.test:5222\n13 NEW 0 10.0.0.1:80')).toMatchObject([
      { id: '12', status: 'SUCCEEDED', circuitId: '5', target: 'example.test:5222' },
      { id: '13', status: 'NEW', circuitId: '0' },
    ]);
    const ev = typedEvent(rawEvent(reply('650 STREAM 12 FAILED 5 example.test:5222 REASON=END REMOTE_REASON=CONNECTREFUSED SOCKS_USERNAME="cove:bob" PURPOSE=USER\r\n')));
    expect(ev?.event).toMatchObject({ type: 'STREAM', status: 'FAILED', reason: 'END', socksUsername: 'cove:bob', purpose: 'USER' });
    expect(() => parseStreamStatus('12 SUCCEEDED')).toThrow(TorProtocolError);
  });

  it('reads net/listeners/socks and the ControlPortWriteToFile file', () => {
    expect(parseListeners('"127.0.0.1:9050" "[::1]:9150" "unix:/run/tor/socks"')).toEqual([
      { kind: 'tcp', host: '127.0.0.1', port: 9050 },
      { kind: 'tcp', host: '::1', port: 9150 },
      { kind: 'unix', path: '/run/tor/socks' },
    ]);
    expect(parseListeners('')).toEqual([]);
    expect(() => parseListeners('"127.0.0.1"')).toThrow(TorProtocolError);
    expect(() => parseListeners('"127.0.0.1:0"')).toThrow(TorProtocolError);
    expect(parseControlPortFile('PORT=127.0.0.1:37287\n')).toEqual([{ kind: 'tcp', host: '127.0.0.1', port: 37287 }]);
    expect(parseControlPortFile('UNIX_PORT=/tmp/c\n')).toEqual([{ kind: 'unix', path: '/tmp/c' }]);
    expect(() => parseControlPortFile('')).toThrow(TorProtocolError);
  });

  it('types log events, one-line and multi-line', () => {
    expect(typedEvent(rawEvent(reply('650 NOTICE Bootstrapped 5%\r\n')))?.event).toEqual({ type: 'NOTICE', message: 'Bootstrapped 5%' });
    expect(typedEvent(rawEvent(reply('650+WARN\r\nfirst\r\nsecond\r\n.\r\n650 OK\r\n')))?.event).toEqual({ type: 'WARN', message: 'first\nsecond' });
    expect(typedEvent(rawEvent(reply('650 NEWCONSENSUS\r\n')))).toBeUndefined();
  });
});
