import { describe, expect, it } from 'vitest';
import { CoveError, fail, ok, toResult } from './result';

describe('Result', () => {
  it('wraps values and typed errors', async () => {
    expect(ok(3)).toEqual({ ok: true, value: 3 });
    expect(fail('x', 'y')).toEqual({ ok: false, error: { code: 'x', message: 'y' } });
    await expect(toResult(() => Promise.resolve(5))).resolves.toEqual({ ok: true, value: 5 });
    const r = await toResult(() => Promise.reject(new CoveError('proxy-down', 'The proxy is down.')));
    expect(r).toEqual({ ok: false, error: { code: 'proxy-down', message: 'The proxy is down.' } });
  });

  it('rethrows what is not a CoveError: a bug must not look like a handled failure', async () => {
    await expect(toResult(() => Promise.reject(new TypeError('bug')))).rejects.toThrow(TypeError);
  });
});
