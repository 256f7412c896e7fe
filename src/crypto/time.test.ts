import { describe, expect, it } from 'vitest';
import { formatStamp, parseStamp } from './time';

const at = (iso: string): number => new Date(iso).getTime();

describe('XEP-0082 time stamps', () => {
  it('writes UTC with whole seconds', () => {
    expect(formatStamp(new Date('2024-05-01T12:34:56.789Z'))).toBe('2024-05-01T12:34:56Z');
  });

  it.each([
    ['2024-05-01T12:00:00Z', '2024-05-01T12:00:00Z'],
    ['2024-05-01t12:00:00z', '2024-05-01T12:00:00Z'],
    ['2024-05-01T12:00:00+00:00', '2024-05-01T12:00:00Z'],
    ['2024-05-01T12:00:00+0000', '2024-05-01T12:00:00Z'], // seen from a real client
    ['2024-05-01T14:00:00+02:00', '2024-05-01T12:00:00Z'],
    ['2024-05-01T14:00:00+0200', '2024-05-01T12:00:00Z'],
    ['2024-05-01T07:00:00-05', '2024-05-01T12:00:00Z'],
    ['2024-05-01T12:00:00.5Z', '2024-05-01T12:00:00.500Z'],
    ['2024-05-01T12:00:00.123456789Z', '2024-05-01T12:00:00.123Z'],
    ['2024-05-01T23:59:60Z', '2024-05-01T23:59:59Z'], // a leap second
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00Z'],
    ['  2024-05-01T12:00:00Z ', '2024-05-01T12:00:00Z'],
  ])('reads %s', (stamp, expected) => {
    expect(parseStamp(stamp)?.getTime()).toBe(at(expected));
  });

  it('reads years before 100 correctly', () => {
    expect(parseStamp('0099-01-01T00:00:00Z')?.getUTCFullYear()).toBe(99);
  });

  it.each([
    '',
    '2024-05-01',
    '2024-05-01T12:00:00', // no time zone: ambiguous
    '2024-05-01 12:00:00Z',
    '2024-13-01T12:00:00Z',
    '2023-02-29T12:00:00Z',
    '2024-05-01T24:00:00Z',
    '2024-05-01T12:60:00Z',
    '2024-05-01T12:00:61Z',
    '2024-05-01T12:00:00+24:00',
    '2024-05-01T12:00:00+02:60',
    '2024-05-01T12:00:00.Z',
    '1714564800',
    `2024-05-01T12:00:00.${'1'.repeat(100)}Z`,
    'yesterday',
  ])('refuses %j', (stamp) => {
    expect(parseStamp(stamp)).toBeNull();
  });
});
