/**
 * `window.cove` in an ordinary browser: where no Electron preload put it there, and the page was opened with the
 * link the browser bridge printed (…/?token=…), this client opens the bridge's WebSocket (src/bridge/protocol.ts)
 * and implements CoveApi over it: one function per operation of the contract, each answering a Result, plus
 * `subscribe` for the core's events. It never throws and never hangs: a call answers 'bridge-timeout' after
 * CALL_TIMEOUT_MS, and every call answers 'bridge-closed' once the socket is gone (there is no reconnection: a new
 * bridge has a new token and a new link).
 */
import { EventSchema, OP_NAMES, type CoveApi, type CoveEvent, type OpName, type Result } from '../../src/api/contract';
import { BRIDGE_PATH, type CallFrame } from '../../src/bridge/protocol';

/** Long enough for the slowest operation (an account created over Tor), short enough that nothing hangs forever. */
export const CALL_TIMEOUT_MS = 120_000;
const CONNECT_TIMEOUT_MS = 15_000;
const CONNECTING = 0;
const OPEN = 1;

type Failure = Extract<Result<unknown>, { ok: false }>;
const closedError = (): Failure => ({
  ok: false,
  error: { code: 'bridge-closed', message: 'Cove’s core stopped, or this page lost its connection to it. Start Cove again and open the new link it prints.' },
});
const timeoutError = (op: string): Failure => ({
  ok: false,
  error: { code: 'bridge-timeout', message: `Cove’s core did not answer in time (${op}). It may be busy; try again.` },
});

export interface BridgeClientOptions {
  /** Opens the socket (the browser's WebSocket by default; tests pass a fake). */
  readonly open?: (url: string) => WebSocket;
  readonly timeoutMs?: number;
  readonly connectTimeoutMs?: number;
}

export interface BridgeClient {
  readonly api: CoveApi;
  /** Settles once the socket is open (true) or could not open (false). */
  readonly ready: Promise<boolean>;
}

interface Pending {
  readonly resolve: (result: Result<unknown>) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

export function createBridgeClient(url: string, options: BridgeClientOptions = {}): BridgeClient {
  const timeoutMs = options.timeoutMs ?? CALL_TIMEOUT_MS;
  const socket = (options.open ?? ((u: string) => new WebSocket(u)))(url);
  const pending = new Map<number, Pending>();
  const listeners = new Set<(event: CoveEvent) => void>();
  const queued: string[] = [];
  let nextId = 1;
  let closed = false;

  let settleReady: (open: boolean) => void = () => undefined;
  const ready = new Promise<boolean>((resolve) => {
    settleReady = resolve;
  });
  const connectTimer = setTimeout(() => {
    if (socket.readyState === CONNECTING) socket.close();
    shutDown();
  }, options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS);

  function shutDown(): void {
    clearTimeout(connectTimer);
    settleReady(false);
    if (closed) return;
    closed = true;
    queued.length = 0;
    for (const [id, call] of pending) {
      clearTimeout(call.timer);
      pending.delete(id);
      call.resolve(closedError());
    }
  }

  socket.onopen = () => {
    clearTimeout(connectTimer);
    settleReady(true);
    for (const text of queued.splice(0)) socket.send(text);
  };
  socket.onclose = shutDown;
  socket.onerror = shutDown;
  socket.onmessage = (message: MessageEvent) => {
    if (typeof message.data === 'string') receive(message.data);
  };

  function receive(text: string): void {
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof frame !== 'object' || frame === null) return;
    if ('event' in frame) {
      const event = EventSchema.safeParse(frame.event);
      if (event.success) for (const listener of [...listeners]) deliver(listener, event.data);
      return;
    }
    if ('id' in frame && typeof frame.id === 'number' && 'result' in frame && isResult(frame.result)) {
      const call = pending.get(frame.id);
      if (call === undefined) return;
      pending.delete(frame.id);
      clearTimeout(call.timer);
      call.resolve(frame.result);
    }
  }

  function call(op: OpName, input: unknown): Promise<Result<unknown>> {
    if (closed) return Promise.resolve(closedError());
    const id = nextId++;
    const text = JSON.stringify({ id, op, input } satisfies CallFrame);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        resolve(timeoutError(op));
      }, timeoutMs);
      pending.set(id, { resolve, timer });
      if (socket.readyState === OPEN) socket.send(text);
      else queued.push(text);
    });
  }

  const api: Record<string, unknown> = {};
  for (const op of OP_NAMES) api[op] = (input: unknown) => call(op, input);
  api.subscribe = (listener: (event: CoveEvent) => void) => {
    const own = (event: CoveEvent): void => {
      listener(event);
    };
    listeners.add(own);
    return () => {
      listeners.delete(own);
    };
  };
  return { api: Object.freeze(api) as unknown as CoveApi, ready };
}

function isResult(value: unknown): value is Result<unknown> {
  if (typeof value !== 'object' || value === null || !('ok' in value)) return false;
  if (value.ok === true) return 'value' in value;
  return value.ok === false && 'error' in value && typeof value.error === 'object' && value.error !== null;
}

function deliver(listener: (event: CoveEvent) => void, event: CoveEvent): void {
  try {
    listener(event);
  } catch (err) {
    // One listener's bug must not keep the event from the others.
    console.error('a listener of Cove events failed', err);
  }
}

/**
 * Installs `window.cove` from the bridge when no preload did and the page carries the bridge's token; resolves once
 * the socket is open or has failed (calls then answer 'bridge-closed', which the app shows). Does nothing in Electron.
 */
export async function installBridgeClient(win: Window = window): Promise<void> {
  if (win.cove !== undefined) return;
  const token = new URLSearchParams(win.location.search).get('token');
  if (token === null) return;
  const client = createBridgeClient(`ws://${win.location.host}${BRIDGE_PATH}?token=${encodeURIComponent(token)}`);
  Object.defineProperty(win, 'cove', { value: client.api, writable: false, configurable: false, enumerable: true });
  await client.ready;
}
