/**
 * The benchmark: the app's tor bootstrap time vs a raw `tor` bootstrap with the same torrc on the same
 * private network, measured in one run, as a ratio (goal ≤ 1.05).
 *
 * One private network (test/rig/tor-network.ts), then RUNS boots of each kind, interleaved and with the order swapped
 * every pair (raw, app, app, raw, raw, app, …) so that neither kind always goes first after the other:
 * (a) the app: `new OwnedTor({ dataDir, extraTorrcLines: clientTorrcLines(net) }).start()`, timed from the call to
 *     its resolve: files, spawn, control-port file, AUTHENTICATE, TAKEOWNERSHIP, SETEVENTS, `DisableNetwork 0`,
 *     bootstrap to 100 % and the SOCKS listener read back (100 % of what a user waits for).
 * (b) raw tor: the torrc `buildTorrc` makes for the same options, with `DisableNetwork 1` replaced by
 *     `DisableNetwork 0` (nothing would enable it otherwise) and every other line identical, the same argv
 *     (`torArgv`: empty defaults file, `__OwningControllerProcess`) and the same binary, a fresh data dir. Timed from
 *     the same file preparation (mkdir, torrc, defaults file) to the notice line "Bootstrapped 100%" on its stdout
 *     (`Log notice stdout` is in the torrc). Why the log line and not the control port: tor prints that line in the
 *     same call (control_event_bootstrap) that sends the STATUS_CLIENT event the app waits for, so both clocks stop
 *     at the same moment of tor's own work, and the raw side pays no control-connection cost of its own. stdout goes
 *     through ManagedProcess into a log file, read every 10 ms: the raw figure reads up to ~10 ms high.
 * Every tor and the network are stopped at the end, also on abort and on error; run dirs are kept on failure.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findTorBinaries } from '../src/tor/binary';
import { OwnedTor } from '../src/tor/owned-tor';
import { torArgv } from '../src/tor/stale';
import { buildTorrc, torrcPaths } from '../src/tor/torrc';
import { clientTorrcLines, startTorNetwork, type TorNetwork } from '../test/rig/tor-network';
import { finishRunDir, logTail, makeRunDir, ManagedProcess, RigError, waitFor } from '../test/rig/util';
import { median, type Bench, type Figure } from './figure';

const RUNS = 5;
const BOOT_TIMEOUT_MS = 120_000;
const GOAL = 1.05;


/** The torrc OwnedTor writes for `dataDir` on this network (no bridges, no proxy). */
const appTorrc = (dataDir: string, net: TorNetwork): string => buildTorrc({ dataDir, bridges: [], extraLines: clientTorrcLines(net) });

/** The same, but online from the start. */
function rawTorrc(dataDir: string, net: TorNetwork): string {
  const lines = appTorrc(dataDir, net).split('\n');
  const i = lines.indexOf('DisableNetwork 1');
  if (i < 0 || lines.lastIndexOf('DisableNetwork 1') !== i) throw new RigError('the app torrc has no single "DisableNetwork 1" line');
  lines[i] = 'DisableNetwork 0';
  return lines.join('\n');
}

interface Live { stop: () => Promise<unknown> }

async function bootRaw(dataDir: string, tor: string, net: TorNetwork, signal: AbortSignal, live: Set<Live>): Promise<number> {
  signal.throwIfAborted();
  const files = torrcPaths(dataDir);
  const defaults = join(dataDir, 'torrc-defaults');
  const stdoutLog = `${dataDir}.stdout.log`;
  const t0 = performance.now();
  // The same preparation as OwnedTor.launch: data dir, torrc, empty defaults file.
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await writeFile(files.torrc, rawTorrc(dataDir, net), { mode: 0o600 });
  await writeFile(defaults, '', { mode: 0o600 });
  const proc = new ManagedProcess('raw tor', tor, torArgv(defaults, files.torrc, process.pid), stdoutLog);
  live.add(proc);
  try {
    await waitFor('raw tor to log "Bootstrapped 100%"', () => {
      signal.throwIfAborted();
      if (!proc.running) throw new RigError(`raw tor exited while bootstrapping:\n${proc.tail()}`);
      return logTail(stdoutLog, 1000).includes('Bootstrapped 100%') ? true : undefined;
    }, BOOT_TIMEOUT_MS, 10);
    return performance.now() - t0;
  } finally {
    await proc.stop(2000);
    live.delete(proc);
  }
}

async function bootApp(dataDir: string, net: TorNetwork, signal: AbortSignal, live: Set<Live>): Promise<number> {
  signal.throwIfAborted();
  const tor = new OwnedTor({ dataDir, extraTorrcLines: clientTorrcLines(net), bootstrapTimeoutMs: BOOT_TIMEOUT_MS });
  live.add(tor);
  try {
    const t0 = performance.now();
    await tor.start(signal);
    const took = performance.now() - t0;
    // The raw side's torrc is derived from buildTorrc: check that this is what the app really wrote.
    if ((await readFile(torrcPaths(dataDir).torrc, 'utf8')) !== appTorrc(dataDir, net)) throw new RigError('OwnedTor wrote another torrc than buildTorrc gives');
    return took;
  } finally {
    await tor.stop();
    live.delete(tor);
  }
}

const ms = (name: string, value: number, ratio?: Figure['ratio']): Figure => ({
  name,
  value: Math.round(value),
  unit: 'ms',
  ...(ratio === undefined ? {} : { ratio }),
});

async function run(signal: AbortSignal): Promise<Figure[]> {
  const runDir = await makeRunDir('bench-tor-bootstrap');
  const live = new Set<Live>();
  let net: TorNetwork | undefined;
  let failed = true;
  try {
    net = await startTorNetwork({ signal });
    const tor = findTorBinaries({}).tor;
    const app: number[] = [];
    const raw: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const order = i % 2 === 0 ? (['raw', 'app'] as const) : (['app', 'raw'] as const);
      for (const kind of order) {
        const dataDir = join(runDir, `${kind}-${i}`);
        if (kind === 'raw') raw.push(await bootRaw(dataDir, tor, net, signal, live));
        else app.push(await bootApp(dataDir, net, signal, live));
      }
    }
    failed = false;
    const appMedian = median(app);
    const rawMedian = median(raw);
    const n = `median of ${RUNS}`;
    return [
      ms(`raw tor bootstrap, same torrc but online (${n})`, rawMedian),
      ms(`app tor bootstrap, OwnedTor.start() (${n})`, appMedian, { value: appMedian / rawMedian, against: `app/raw, goal ≤ ${GOAL}` }),
      ms('app − raw, medians', appMedian - rawMedian),
      ms(`raw tor bootstrap min of ${RUNS}`, Math.min(...raw)),
      ms(`raw tor bootstrap max of ${RUNS}`, Math.max(...raw)),
      ms(`app tor bootstrap min of ${RUNS}`, Math.min(...app)),
      ms(`app tor bootstrap max of ${RUNS}`, Math.max(...app)),
    ];
  } finally {
    await Promise.allSettled([...live].map((t) => t.stop()));
    await net?.stop();
    if (net !== undefined) await finishRunDir(net.runDir, failed);
    await finishRunDir(runDir, failed);
  }
}

const bench: Bench = {
  title: `app (OwnedTor) vs raw tor bootstrap on one private Tor network, ${RUNS} each, interleaved (goal: ratio ≤ ${GOAL})`,
  run,
};
export default bench;
