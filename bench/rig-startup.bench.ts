/**
 * Start-up times of the test rig's parts, each measured several times in this run (medians; n is in the name):
 * the Prosody pair, dante, and the private Tor network (with an onion service). The ratios compare with a baseline
 * measured in the same run, and only where the baseline says something:
 * - Prosody pair (CA + both servers in parallel) vs restarting one of its servers alone (same ports, data and
 *   certificate), both timed by the rig's waitForTcp (50 ms polls): what the throw-away CA and the second server add
 *   to one Prosody's own start. A restart polled every 2 ms shows Prosody's own start without the polls' slack.
 * - dante (spawn → its port accepts, polled every 2 ms) vs spawning `/bin/true` through the same
 *   `unshare --mount --pid --fork` wrapper (spawn → exit event): how much of the start is mere process and namespace
 *   creation. dante's own startedInMs (50 ms polls) is printed too.
 * - Tor: the client exit-ready and onion-reachable times vs the client's bootstrap, all from network start.
 */
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDante, type Dante } from '../test/rig/dante';
import { startProsodyPair, type ProsodyPair } from '../test/rig/prosody';
import { startTorNetwork, type TorNetwork } from '../test/rig/tor-network';
import { canConnect, finishRunDir, makeRunDir, ManagedProcess, RigError } from '../test/rig/util';
import { median, type Bench, type Figure } from './figure';

const PROSODY_RUNS = 5;
const DANTE_RUNS = 5;
const SPAWN_RUNS = 10;
const TOR_RUNS = 2;
const ONION_TIMEOUT_MS = 120_000;

const ms = (name: string, value: number, ratio?: Figure['ratio']): Figure => ({
  name,
  value: Math.round(value),
  unit: 'ms',
  ...(ratio === undefined ? {} : { ratio }),
});
const ratioOf = (value: number, base: number, against: string): NonNullable<Figure['ratio']> => ({ value: value / base, against });

/**
 * The rig's own start times come from waitForTcp, which polls every 50 ms: too coarse next to starts of a few dozen
 * ms. So the bench also restarts a server (same ports, files, set-up) while polling its ports every 2 ms from just
 * before `start()` (which spawns at once): spawn → every port accepts, to about 2 ms.
 */
async function finePolledStartMs(server: { stop: () => Promise<void>; start: () => Promise<void> }, host: string, ports: readonly number[]): Promise<number> {
  await server.stop();
  const t0 = performance.now();
  const started = server.start();
  const open = new Set<number>();
  const deadline = t0 + 20_000;
  while (open.size < ports.length && performance.now() < deadline) {
    for (const port of ports) if (!open.has(port) && (await canConnect(host, port, 1000))) open.add(port);
    if (open.size < ports.length) await sleep(2);
  }
  const took = performance.now() - t0;
  await started;
  if (open.size < ports.length) throw new RigError(`restarted, but ${host} did not accept on every port within 20 s`);
  return took;
}

async function prosodyFigures(signal: AbortSignal): Promise<Figure[]> {
  const pairMs: number[] = [];
  const caMs: number[] = [];
  const singleMs: number[] = [];
  const fineMs: number[] = [];
  for (let i = 0; i < PROSODY_RUNS; i++) {
    signal.throwIfAborted();
    let pair: ProsodyPair | undefined;
    let failed = true;
    try {
      pair = await startProsodyPair({ name: 'bench-prosody' });
      pairMs.push(pair.startedInMs);
      caMs.push(pair.caMs);
      // The baseline: one of the two servers alone, stopped and started again (no CA, no second server).
      await pair.a.stop();
      const t0 = performance.now();
      await pair.a.start();
      singleMs.push(performance.now() - t0);
      fineMs.push(await finePolledStartMs(pair.b, pair.b.host, [pair.b.c2sPort, pair.b.s2sPort]));
      failed = false;
    } finally {
      await pair?.stop(failed);
    }
  }
  const pair = median(pairMs);
  const single = median(singleMs);
  return [
    ms(`prosody pair start, CA + 2 servers, rig's 50 ms polls (median of ${PROSODY_RUNS})`, pair, ratioOf(pair, single, 'vs one server restarted alone, same polls')),
    ms(`prosody pair: CA and certificates (median of ${PROSODY_RUNS})`, median(caMs), ratioOf(median(caMs), pair, 'of the pair start')),
    ms(`prosody one server restarted alone, spawn → c2s+s2s open, rig's 50 ms polls (median of ${PROSODY_RUNS})`, single),
    ms(`prosody one server restarted alone, spawn → c2s+s2s open, polled every 2 ms (median of ${PROSODY_RUNS})`, median(fineMs)),
  ];
}

/** Spawn → exit of `command` through ManagedProcess, the way the rig spawns its servers. */
async function spawnExitMs(dir: string, name: string, command: string, args: readonly string[]): Promise<number> {
  const t0 = performance.now();
  const proc = new ManagedProcess(name, command, args, join(dir, `${name}.log`));
  const exit = await proc.exited;
  const took = performance.now() - t0;
  if (exit.code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${String(exit.code ?? exit.signal)}:\n${proc.tail()}`);
  return took;
}

async function danteFigures(signal: AbortSignal): Promise<Figure[]> {
  const rigMs: number[] = [];
  const polledMs: number[] = [];
  for (let i = 0; i < DANTE_RUNS; i++) {
    signal.throwIfAborted();
    let dante: Dante | undefined;
    let failed = true;
    try {
      dante = await startDante();
      rigMs.push(dante.startedInMs);
      polledMs.push(await finePolledStartMs(dante, dante.host, [dante.port]));
      failed = false;
    } finally {
      await dante?.close(failed);
    }
  }
  const dir = await makeRunDir('bench-spawn');
  const trueMs: number[] = [];
  const unshareMs: number[] = [];
  let failed = true;
  try {
    for (let i = 0; i < SPAWN_RUNS; i++) {
      signal.throwIfAborted();
      trueMs.push(await spawnExitMs(dir, `true-${i}`, '/bin/true', []));
      unshareMs.push(await spawnExitMs(dir, `unshare-true-${i}`, 'unshare', ['--mount', '--pid', '--fork', '--propagation', 'private', '/bin/true']));
    }
    failed = false;
  } finally {
    await finishRunDir(dir, failed);
  }
  const polled = median(polledMs);
  const unshare = median(unshareMs);
  return [
    { name: `dante start, spawn → port open, polled every 2 ms (median of ${DANTE_RUNS})`, value: polled, unit: 'ms', ratio: ratioOf(polled, unshare, 'vs spawning /bin/true the same way') },
    ms(`dante start as the rig reports it (startedInMs, 50 ms polls) (median of ${DANTE_RUNS})`, median(rigMs)),
    { name: `spawn → exit of /bin/true in dante's unshare wrapper (median of ${SPAWN_RUNS})`, value: unshare, unit: 'ms' },
    { name: `spawn → exit of plain /bin/true (median of ${SPAWN_RUNS})`, value: median(trueMs), unit: 'ms' },
  ];
}


interface TorRun { keygen: number; consensus: number; bootstrap: number; exitReady: number; addOnion: number; onionWait: number; onionSinceStart: number }

async function torRun(signal: AbortSignal): Promise<TorRun> {
  let net: TorNetwork | undefined;
  let failed = true;
  // The onion's target: a loopback listener that accepts and closes (waitForOnion only needs the connect to succeed).
  const target = createServer((sock) => sock.destroy());
  try {
    await new Promise<void>((resolve, reject) => {
      target.once('error', reject);
      target.listen({ host: '127.0.0.1', port: 0 }, resolve);
    });
    const { port: targetPort } = target.address() as AddressInfo;
    net = await startTorNetwork({ signal });
    const t = net.timings;
    const t0 = Date.now();
    const { onion, port } = await net.addOnion({ host: '127.0.0.1', port: targetPort });
    const addOnion = Date.now() - t0;
    const onionWait = await net.waitForOnion(onion, port, ONION_TIMEOUT_MS);
    failed = false;
    return {
      keygen: t.keygenMs,
      consensus: t.consensusMs,
      bootstrap: t.bootstrapMs,
      exitReady: t.exitReadyMs,
      addOnion,
      onionWait,
      onionSinceStart: Date.now() - net.startedAt,
    };
  } finally {
    await net?.stop();
    // The network removes its run dir itself only when its start fails; a started one's goes here (kept on failure).
    if (net !== undefined) await finishRunDir(net.runDir, failed);
    await new Promise<void>((resolve) => target.close(() => {
      resolve();
    }));
  }
}

async function torFigures(signal: AbortSignal): Promise<Figure[]> {
  const runs: TorRun[] = [];
  for (let i = 0; i < TOR_RUNS; i++) {
    signal.throwIfAborted();
    runs.push(await torRun(signal));
  }
  const m = (k: keyof TorRun): number => median(runs.map((r) => r[k]));
  const n = `median of ${TOR_RUNS}`;
  const bootstrap = m('bootstrap');
  return [
    ms(`tor network: authority keys (tor-gencert ×3 in parallel) (${n})`, m('keygen')),
    ms(`tor network: start → consensus lists every relay (${n})`, m('consensus')),
    ms(`tor network: start → client bootstrapped 100 % (${n})`, bootstrap),
    ms(`tor network: start → client has the exit's descriptor (${n})`, m('exitReady'), ratioOf(m('exitReady'), bootstrap, 'vs client bootstrap')),
    ms(`tor network: ADD_ONION, incl. waiting for the onion host's bootstrap (${n})`, m('addOnion')),
    ms(`tor network: ADD_ONION → onion reachable through the client (${n})`, m('onionWait')),
    ms(`tor network: start → onion reachable (${n})`, m('onionSinceStart'), ratioOf(m('onionSinceStart'), bootstrap, 'vs client bootstrap')),
  ];
}

const bench: Bench = {
  title: 'start-up times of the rig parts: Prosody pair, dante, private Tor network',
  run: async (signal) => [...(await prosodyFigures(signal)), ...(await danteFigures(signal)), ...(await torFigures(signal))],
};
export default bench;
