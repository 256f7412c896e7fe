import { describe, expect, it } from 'vitest';
import { assistFor, BootstrapTracker } from './bootstrap';
import type { BootstrapStatus } from './control';
import type { BootstrapProgress, ConnectionAssist } from './provider';

function status(progress: number, extra: Partial<BootstrapStatus> = {}): BootstrapStatus {
  return { severity: 'NOTICE', progress, tag: `t${progress}`, summary: `s${progress}`, ...extra };
}

describe('BootstrapTracker', () => {
  it('reports progress that never goes backwards, and carries warnings at the same step', () => {
    const seen: BootstrapProgress[] = [];
    const t = new BootstrapTracker({ usingBridges: false, usingProxy: false, onProgress: (p) => seen.push(p), onAssist: () => undefined });
    for (const p of [5, 10, 10, 7, 50, 100]) t.update(status(p));
    t.update(status(40, { severity: 'WARN', warning: 'No route to host', reason: 'NOROUTE' }));
    expect(seen.map((s) => s.progress)).toEqual([5, 10, 50, 100, 100]);
    expect(seen.at(-1)).toMatchObject({ warning: 'No route to host', reason: 'NOROUTE' });
    expect(t.done).toBe(true);
  });

  it('suggests bridges once when progress stalls, with the reason tor gave', () => {
    let now = 0;
    const assists: ConnectionAssist[] = [];
    const t = new BootstrapTracker({ stallMs: 30_000, usingBridges: false, usingProxy: false, onProgress: () => undefined, onAssist: (a) => assists.push(a), now: () => now });
    t.update(status(10));
    now = 20_000;
    t.checkStall();
    expect(assists).toEqual([]);
    t.update(status(10, { severity: 'WARN', warning: 'Connection timed out', reason: 'TIMEOUT' }));
    now = 31_000;
    t.checkStall();
    t.checkStall();
    expect(assists).toHaveLength(1);
    expect(assists[0]).toMatchObject({ suggestion: 'use-bridges', reason: 'timeout', progress: 10 });
    t.update(status(20));
    now = 70_000;
    t.checkStall();
    expect(assists).toHaveLength(2);
  });

  it('suggests other bridges, the proxy or the clock when those are the likely cause', () => {
    const run = (o: { usingBridges: boolean; usingProxy: boolean }, extra: Partial<BootstrapStatus>): ConnectionAssist | undefined => {
      let now = 0;
      let got: ConnectionAssist | undefined;
      const t = new BootstrapTracker({ ...o, stallMs: 10, onProgress: () => undefined, onAssist: (a) => (got = a), now: () => now });
      t.update(status(5));
      t.update(status(5, { severity: 'WARN', warning: 'w', ...extra }));
      now = 100;
      t.checkStall();
      return got;
    };
    expect(run({ usingBridges: true, usingProxy: false }, { reason: 'TIMEOUT' })?.suggestion).toBe('try-other-bridges');
    expect(run({ usingBridges: false, usingProxy: true }, { reason: 'CONNECTREFUSED' })?.suggestion).toBe('check-proxy');
    // A wrong proxy password: tor sends no reason at all, it just stays at conn_done_proxy (seen on tor 0.4.9).
    expect(assistFor({ progress: 4, tag: 'conn_done_proxy', summary: 'Connected to a proxy' }, 30_000, false, true).suggestion).toBe('check-proxy');
    expect(run({ usingBridges: false, usingProxy: false }, { reason: 'CLOCK_SKEW' })?.suggestion).toBe('check-clock');
  });
});
