/**
 * What both Tor providers (the tor Cove owns and one the user already runs) do the same way over a control
 * connection: map tor's circuit and stream lists to what the connections panel shows, and NEWNYM with tor's rate limit.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { TorAbortedError, type CircuitStatus, type StreamStatus, type TorControlClient } from './control';
import { isolationKeyOf, type CircuitInfo, type StreamInfo } from './provider';

export function toCircuitInfo(c: CircuitStatus): CircuitInfo {
  const key = isolationKeyOf(c.socksUsername);
  return {
    id: c.id,
    status: c.status,
    purpose: c.purpose ?? 'GENERAL',
    path: c.path.map((r) => ({ fingerprint: r.fingerprint, ...(r.nickname === undefined ? {} : { nickname: r.nickname }) })),
    ...(key === undefined ? {} : { isolationKey: key }),
  };
}

/**
 * A stream's account: from its own SOCKS username when tor gives one (STREAM events do), else from its circuit's
 * (GETINFO stream-status lists none; circuits are isolated per account, so the circuit's is the stream's).
 */
export function toStreamInfo(s: StreamStatus, circuits: readonly CircuitInfo[] = []): StreamInfo {
  const key = isolationKeyOf(s.socksUsername) ?? circuits.find((c) => c.id === s.circuitId)?.isolationKey;
  return { id: s.id, status: s.status, circuitId: s.circuitId, ...(key === undefined ? {} : { isolationKey: key }) };
}

/** Circuits and streams together, streams labelled with their account. */
export async function circuitsAndStreams(control: TorControlClient): Promise<{ circuits: CircuitInfo[]; streams: StreamInfo[] }> {
  const circuits = (await control.getCircuits()).map(toCircuitInfo);
  const streams = (await control.getStreams()).map((s) => toStreamInfo(s, circuits));
  return { circuits, streams };
}

/** The control events that keep the connections panel live: CIRC and STREAM, on top of what the provider needs. */
export const LIVE_EVENTS = ['CIRC', 'STREAM'] as const;

/**
 * Calls `changed` (at most every `everyMs`) when a circuit or stream changes, so the connections panel can re-read the
 * lists instead of polling. Returns the unsubscribe function.
 */
export function watchCircuits(control: TorControlClient, changed: () => void, everyMs = 250): () => void {
  let timer: NodeJS.Timeout | undefined;
  const poke = (): void => {
    timer ??= setTimeout(() => {
      timer = undefined;
      changed();
    }, everyMs);
  };
  const offs = [control.onEvent('CIRC', poke), control.onEvent('STREAM', poke)];
  return () => {
    clearTimeout(timer);
    for (const off of offs) off();
  };
}

/** tor acts on at most one NEWNYM per 10 s and silently delays the rest: Cove waits instead, so "done" means done. */
export const NEWNYM_INTERVAL_MS = 10_000;

/**
 * Sends NEWNYM no more often than tor honours it. Calls are taken one at a time, in order: a second call made while
 * the first waits goes out 10 s after the first was sent.
 */
export class NewnymLimiter {
  private last = 0;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly intervalMs = NEWNYM_INTERVAL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Waits out the interval, then `send()` (e.g. `control.signal('NEWNYM')`); an abort while waiting sends nothing. */
  run(send: () => Promise<void>, signal?: AbortSignal): Promise<void> {
    const turn = this.queue.then(async () => {
      const wait = this.last + this.intervalMs - this.now();
      try {
        signal?.throwIfAborted();
        if (wait > 0) await sleep(wait, undefined, signal === undefined ? {} : { signal });
      } catch (err) {
        throw new TorAbortedError('New identity', { cause: err });
      }
      await send();
      this.last = this.now();
    });
    this.queue = turn.catch(() => undefined);
    return turn;
  }
}
