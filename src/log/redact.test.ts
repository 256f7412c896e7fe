import { describe, expect, it } from 'vitest';
import { Logger, redact, type LogRecord } from './redact';

describe('redact', () => {
  it.each([
    ['connect to 127.0.0.2:5222 failed', 'connect to [ip]:5222 failed'],
    ['peer 203.0.113.45 said hi', 'peer [ip] said hi'],
    ['v6 [2001:db8::1]:5222 and ::1 and fe80::1%eth0', 'v6 [[ip]]:5222 and [ip] and [ip]'],
    ['mapped ::ffff:192.0.2.1', 'mapped [ip]'],
    ['message from alice@a.test/laptop to bob@b.test', 'message from [jid] to [jid]'],
    ['jid "ünïcode.user@example.org"', 'jid "[jid]"'],
    ['via duskgytldkxiuqc6.onion and vww6ybal4bd7szmgncyruucpgfkqahzddi37ktceo3ah7ngmcopnpyyd.onion', 'via [onion] and [onion]'],
  ])('%s', (input, expected) => {
    expect(redact(input)).toBe(expected);
  });

  it('leaves times, versions, ports and plain words alone', () => {
    const s = 'at 12:30:05 tor 0.4.9.11 bootstrapped 100% on port 5222 (ratio 1.05)';
    expect(redact(s)).toBe(s);
  });

  it('redacts what the logger is given, error text included', () => {
    const records: LogRecord[] = [];
    const log = new Logger('xmpp', (r) => records.push(r), 'debug').child('alice');
    log.warn('lost alice@a.test', new Error('connect ECONNREFUSED 127.0.0.2:5222'));
    log.debug('x');
    expect(records.map((r) => [r.scope, r.level, r.message])).toEqual([
      ['xmpp/alice', 'warn', 'lost [jid]: Error: connect ECONNREFUSED [ip]:5222'],
      ['xmpp/alice', 'debug', 'x'],
    ]);
    const quiet: LogRecord[] = [];
    new Logger('q', (r) => quiet.push(r)).debug('hidden');
    expect(quiet).toEqual([]);
  });
});
