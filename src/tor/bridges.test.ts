import { describe, expect, it } from 'vitest';
import { BridgeLineError, parseBridgeLine, parseBridgeLines } from './bridges';

const FP = '2B280B23E1107BB62ABFC40DDCC8824814F80A72';
const CERT = 'A'.repeat(68) + 'bQ';
const OBFS4 = `obfs4 192.0.2.10:443 ${FP} cert=${CERT} iat-mode=0`;
const SNOWFLAKE = `snowflake 192.0.2.3:80 ${FP} fingerprint=${FP} url=https://snowflake-broker.example/ fronts=a.example ice=stun:stun.example:3478`;

describe('bridge lines', () => {
  it('accepts obfs4, snowflake and plain lines, with or without a `Bridge` prefix', () => {
    expect(parseBridgeLine(OBFS4)).toMatchObject({ transport: 'obfs4', address: '192.0.2.10:443', fingerprint: FP, line: OBFS4 });
    expect(parseBridgeLine(`Bridge ${OBFS4}`).line).toBe(OBFS4);
    expect(parseBridgeLine(SNOWFLAKE)).toMatchObject({ transport: 'snowflake', params: { fingerprint: FP } });
    expect(parseBridgeLine('[2001:db8::1]:9001').transport).toBe('vanilla');
    expect(parseBridgeLine(`198.51.100.7:9001 ${FP.toLowerCase()}`).fingerprint).toBe(FP);
  });

  it.each([
    ['', /empty/],
    ['meek 192.0.2.1:80 ' + FP, /unknown bridge transport "meek"/],
    ['obfs4 example.org:443 ' + FP + ` cert=${CERT} iat-mode=0`, /not an IP:port/],
    ['obfs4 192.0.2.10:70000 ' + FP + ` cert=${CERT} iat-mode=0`, /out of range/],
    ['obfs4 192.0.2.10:443 ABC cert=x iat-mode=0', /fingerprint/],
    [`obfs4 192.0.2.10:443 ${FP} cert=short iat-mode=0`, /cert=/],
    [`obfs4 192.0.2.10:443 ${FP} cert=${CERT} iat-mode=7`, /iat-mode/],
    [`obfs4 192.0.2.10:443 ${FP} cert=${CERT} iat-mode=0 iat-mode=1`, /twice/],
    [`obfs4 192.0.2.10:443 ${FP} cert=${CERT} iat-mode=0\nSocksPort 9999`, /one line/],
    [`snowflake 192.0.2.3:80 ${FP} fingerprint=${FP} url=http://plain.example/`, /https/],
    [`192.0.2.3:80 ${FP} extra`, /plain bridge line/],
  ])('refuses %j', (line, why) => {
    expect(() => parseBridgeLine(line)).toThrow(BridgeLineError);
    expect(() => parseBridgeLine(line)).toThrow(why);
  });

  it('names the line number of the first bad line', () => {
    expect(parseBridgeLines(`# mine\n${OBFS4}\n\n${SNOWFLAKE}\n`)).toHaveLength(2);
    expect(() => parseBridgeLines(`${OBFS4}\nobfs4 nonsense`)).toThrow(/^line 2: /);
  });
});
