/**
 * "Did the core resolve a name itself since the mode started?" A counter around every name-resolving function of
 * node:dns — `lookup` (what net.connect uses for a host name), `lookupService`, `resolve*`, `reverse` — on the module,
 * on `dns.promises`, and on both Resolver classes. It counts and calls through: it never blocks, delays or changes a
 * look-up, and it records no names (they would be exactly what a leak check must not keep).
 *
 * `installDnsCounter()` patches the functions (and syncs the ESM named exports, so `import { lookup } from 'node:dns'`
 * sees the wrapper too); `uninstall()` puts the originals back. One counter at a time per process.
 */
import dns from 'node:dns';
import { syncBuiltinESMExports } from 'node:module';
import { NetError } from './errors';

export class DnsCounterError extends NetError {
  override name = 'DnsCounterError';
  constructor(detail: string) {
    super('dns-counter', detail);
  }
}

export interface DnsCounter {
  /** Look-ups since the counter was installed. */
  readonly total: number;
  /** Look-ups since the last markModeStart() (or the install). */
  readonly sinceModeStart: number;
  /** Per function, since the mode started, e.g. { 'lookup': 2, 'promises.resolve4': 1 }. */
  readonly byFunction: Readonly<Record<string, number>>;
  /** Called when a privacy mode starts: the count starts again from 0. */
  markModeStart(): void;
  /** Restores the original functions (those that still are our wrappers). */
  uninstall(): void;
}

type Fn = (...args: unknown[]) => unknown;
type Holder = Record<string, unknown>;

const NAME = /^(?:lookup|lookupService|resolve\w*|reverse)$/;

let current: DnsCounter | undefined;

/** The installed counter, if any (what the leak check reads). */
export function currentDnsCounter(): DnsCounter | undefined {
  return current;
}

export function installDnsCounter(): DnsCounter {
  if (current !== undefined) throw new DnsCounterError('a DNS counter is already installed; uninstall it first');
  let total = 0;
  let since = 0;
  let byFunction: Record<string, number> = {};
  const patched: { holder: Holder; key: string; original: Fn; wrapper: Fn }[] = [];

  const targets: [string, Holder][] = [
    ['', dns],
    ['promises.', dns.promises],
    ['Resolver.', dns.Resolver.prototype as unknown as Holder],
    ['promises.Resolver.', dns.promises.Resolver.prototype as unknown as Holder],
  ];
  for (const [prefix, holder] of targets) {
    for (const key of Object.getOwnPropertyNames(holder)) {
      const original = holder[key];
      if (!NAME.test(key) || typeof original !== 'function') continue;
      const label = `${prefix}${key}`;
      const wrapper = function (this: unknown, ...args: unknown[]): unknown {
        total++;
        since++;
        byFunction[label] = (byFunction[label] ?? 0) + 1;
        return Reflect.apply(original as Fn, this, args);
      };
      // Keep what util.promisify relies on (dns.lookup's customPromisifyArgs symbol), name and length.
      for (const k of Reflect.ownKeys(original)) {
        if (k === 'prototype') continue;
        const d = Reflect.getOwnPropertyDescriptor(original, k);
        if (d !== undefined) Reflect.defineProperty(wrapper, k, d);
      }
      holder[key] = wrapper;
      patched.push({ holder, key, original: original as Fn, wrapper });
    }
  }
  syncBuiltinESMExports();

  const counter: DnsCounter = {
    get total() {
      return total;
    },
    get sinceModeStart() {
      return since;
    },
    get byFunction() {
      return { ...byFunction };
    },
    markModeStart() {
      since = 0;
      byFunction = {};
    },
    uninstall() {
      for (const p of patched) if (p.holder[p.key] === p.wrapper) p.holder[p.key] = p.original;
      patched.length = 0;
      syncBuiltinESMExports();
      if (current === counter) current = undefined;
    },
  };
  current = counter;
  return counter;
}
