import { describe, expect, it } from 'vitest';
import { unbracket } from './socket';

describe('unbracket', () => {
  it('takes the brackets off an IPv6 literal from a service URI, and leaves the rest alone', () => {
    expect(unbracket('[fd0c:213:7::1]')).toBe('fd0c:213:7::1');
    expect(unbracket('[::1]')).toBe('::1');
    expect(unbracket('127.0.0.2')).toBe('127.0.0.2');
    expect(unbracket('a.test')).toBe('a.test');
    expect(unbracket('[broken')).toBe('[broken');
  });
});
