/** Seeded randomness for fuzz tests: the same seed gives the same cases, so a failure can be replayed. */
export type Rand = () => number;

/** mulberry32: small, fast, good enough to pick test cases. */
export function prng(seed: number): Rand {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const int = (r: Rand, n: number): number => Math.floor(r() * n);

export function pick<T>(r: Rand, xs: readonly T[]): T {
  const x = xs[int(r, xs.length)];
  if (x === undefined) throw new RangeError('pick from an empty list');
  return x;
}

export function randomBytes(r: Rand, n: number): Buffer {
  return Buffer.from(Array.from({ length: n }, () => int(r, 256)));
}
