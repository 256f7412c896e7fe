import { describe, expect, it } from 'vitest';
import { prng } from '../../test/helpers/prng';
import { EndpointError, EndpointPool, reachableIn, type GatewayEndpoint } from './endpoints';

const A: GatewayEndpoint = { host: '192.0.2.1', port: 5222 };
const B: GatewayEndpoint = { host: '192.0.2.2', port: 5222 };
const C: GatewayEndpoint = { host: 'exampleonionaddressxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.onion', port: 5222 };

/** A clock the test moves by hand. */
function clock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
  };
}

describe('EndpointPool', () => {
  it('follows the list order by default, moves to the next when one fails, and back after its back-off', () => {
    const c = clock();
    const pool = new EndpointPool([A, B], { now: c.now, retryMinMs: 1000 });
    const [a, b] = pool.endpoints;
    if (a === undefined || b === undefined) throw new Error('two endpoints');
    expect(pool.endpoints.map((e) => [e.priority, e.kind])).toEqual([
      [0, 'clearnet'],
      [1, 'clearnet'],
    ]);
    expect(pool.pick()).toBe(a);
    expect(pool.current).toBe(a);
    pool.failed(a);
    expect(pool.health(a)).toMatchObject({ state: 'failed', failures: 1, retryAt: c.now() + 1000 });
    expect(pool.pick()).toBe(b);
    pool.succeeded(b);
    expect(pool.health(b)).toEqual({ state: 'up', since: c.now() });
    c.advance(999);
    expect(pool.pick()).toBe(b);
    c.advance(1);
    expect(pool.available(a)).toBe(true);
    expect(pool.pick()).toBe(a);
    pool.succeeded(a);
    expect(pool.health(a).state).toBe('up');
  });

  it('doubles the back-off with each failure in a row, capped, and forgets it after a success', () => {
    const c = clock();
    const pool = new EndpointPool([A, B], { now: c.now, retryMinMs: 1000, retryMaxMs: 5000 });
    const a = pool.endpoints[0];
    if (a === undefined) throw new Error('an endpoint');
    const waits: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      c.advance(60_000);
      expect(pool.pick()).toBe(a); // its back-off is over each time
      pool.failed(a);
      const h = pool.health(a);
      if (h.state !== 'failed') throw new Error('expected failed');
      waits.push(h.retryAt - h.at);
    }
    expect(waits).toEqual([1000, 2000, 4000, 5000, 5000]);
    c.advance(60_000);
    pool.pick();
    pool.succeeded(a);
    pool.pick();
    pool.failed(a);
    expect(pool.health(a)).toMatchObject({ state: 'failed', failures: 1 });
  });

  it('counts a failure once per attempt, however many parts of the stack report it', () => {
    const pool = new EndpointPool([A, B]);
    const a = pool.pick();
    pool.failed(a);
    pool.failed(a);
    pool.failed(a);
    expect(pool.health(a)).toMatchObject({ state: 'failed', failures: 1 });
  });

  it('spreads the load over equal priorities at random (seeded), and prefers a better priority', () => {
    const pool = new EndpointPool([{ ...A, priority: 0 }, { ...B, priority: 0 }, { host: '192.0.2.3', port: 5222, priority: 1 }], { random: prng(7) });
    const counts = new Map<string, number>();
    for (let i = 0; i < 200; i += 1) {
      const e = pool.pick();
      counts.set(e.host, (counts.get(e.host) ?? 0) + 1);
    }
    expect(counts.get('192.0.2.3')).toBeUndefined();
    expect(counts.get(A.host)).toBeGreaterThan(60);
    expect(counts.get(B.host)).toBeGreaterThan(60);
    // The random source decides: 0 is the first of the equals, just under 1 the last.
    expect(new EndpointPool([{ ...A, priority: 0 }, { ...B, priority: 0 }], { random: () => 0 }).pick().host).toBe(A.host);
    expect(new EndpointPool([{ ...A, priority: 0 }, { ...B, priority: 0 }], { random: () => 0.999 }).pick().host).toBe(B.host);
  });

  it('when every endpoint is backing off, still picks one: the one whose back-off ends first', () => {
    const c = clock();
    const pool = new EndpointPool([A, B], { now: c.now, retryMinMs: 1000 });
    const [a, b] = pool.endpoints;
    if (a === undefined || b === undefined) throw new Error('two endpoints');
    pool.pick();
    pool.failed(a);
    c.advance(300);
    pool.pick();
    pool.failed(b);
    expect(pool.pick()).toBe(a);
    pool.failed(a); // a's second failure in a row: 2 s from now, after b's retry
    expect(pool.pick()).toBe(b);
  });

  it('says when to fail over at once: the latest attempt failed and another endpoint is ready', () => {
    const pool = new EndpointPool([A, B]);
    const [a, b] = pool.endpoints;
    if (a === undefined || b === undefined) throw new Error('two endpoints');
    expect(pool.pick()).toBe(a);
    expect(pool.shouldFailOver(a)).toBe(false); // not failed
    pool.failed(a);
    expect(pool.shouldFailOver(a)).toBe(true);
    expect(pool.shouldFailOver(a, (e) => e !== b)).toBe(false); // the other one is not usable
    expect(pool.pick()).toBe(b);
    pool.failed(b);
    expect(pool.shouldFailOver(b)).toBe(false); // a is still backing off
    const single = new EndpointPool([A]);
    const only = single.pick();
    single.failed(only);
    expect(single.shouldFailOver(only)).toBe(false);
  });

  it('keeps .onion endpoints for Tor mode: a .onion host is always kind onion', () => {
    const pool = new EndpointPool([{ ...C, kind: 'clearnet' }, A]);
    expect(pool.endpoints[0]?.kind).toBe('onion');
    expect(pool.pick(reachableIn('tor')).host).toBe(C.host);
    expect(pool.pick(reachableIn('direct')).host).toBe(A.host);
    expect(pool.pick(reachableIn('socks5')).host).toBe(A.host);
    const onionOnly = new EndpointPool([C]);
    expect(() => onionOnly.pick(reachableIn('direct'))).toThrow(EndpointError);
    expect(new EndpointPool([{ host: '192.0.2.9', port: 5222, kind: 'onion' }]).endpoints[0]?.kind).toBe('onion');
  });

  it('refuses a bad list with a typed error that names no address', () => {
    for (const list of [[], [{ host: '', port: 5222 }], [{ ...A, port: 0 }], [{ ...A, port: 70_000 }], [{ ...A, priority: Number.NaN }]]) {
      const err: unknown = (() => {
        try {
          return new EndpointPool(list);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(EndpointError);
      expect((err as EndpointError).code).toBe('endpoint-invalid');
      expect((err as EndpointError).message).not.toContain('192.0.2');
    }
    const other = new EndpointPool([B]).endpoints[0];
    if (other === undefined) throw new Error('an endpoint');
    expect(() => {
      new EndpointPool([A]).failed(other);
    }).toThrow(EndpointError);
  });
});
