/**
 * A fake `window.cove` for component tests: implements just the operations a test gives, answers every other one
 * with {ok:false, error:{code:'not-in-test'}}, records every call with its input, and lets the test push events.
 *
 *   const cove = installFakeCove({ accounts: () => [account], setSettings: (s) => s });
 *   cove.emit({ type: 'accounts' });
 *   expect(cove.callsTo('setSettings')).toEqual([{ theme: 'dark', ... }]);
 *
 * A handler answers {ok:false, error} by throwing `coveError(code, message)` (or any Error: code 'test-error').
 */
import { OP_NAMES, type CoveApi, type CoveEvent, type OpInput, type OpName, type OpOutput, type Result } from '../../src/api/contract';

export type FakeHandlers = { [N in OpName]?: (input: OpInput<N>) => OpOutput<N> | Promise<OpOutput<N>> };

export interface FakeCall {
  name: OpName;
  input: unknown;
}

export interface FakeCove extends CoveApi {
  /** Pushes an event to every subscriber. */
  emit(event: CoveEvent): void;
  /** Every call in order. */
  readonly calls: FakeCall[];
  /** The inputs of every call to one operation, in order. */
  callsTo<N extends OpName>(name: N): OpInput<N>[];
}

export class FakeCoveError extends Error {
  override name = 'FakeCoveError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Throw this from a handler to make the operation answer {ok:false, error:{code, message}}. */
export function coveError(code: string, message: string): FakeCoveError {
  return new FakeCoveError(code, message);
}

export function fakeCove(handlers: FakeHandlers = {}): FakeCove {
  const listeners = new Set<(event: CoveEvent) => void>();
  const calls: FakeCall[] = [];
  const ops: Record<string, (input: unknown) => Promise<Result<unknown>>> = {};
  for (const name of OP_NAMES) {
    ops[name] = async (input: unknown): Promise<Result<unknown>> => {
      calls.push({ name, input });
      const handler = handlers[name] as ((i: unknown) => unknown) | undefined;
      if (handler === undefined) return { ok: false, error: { code: 'not-in-test', message: `The operation ${name} is not part of this test.` } };
      try {
        return { ok: true, value: await handler(input) };
      } catch (err) {
        if (err instanceof FakeCoveError) return { ok: false, error: { code: err.code, message: err.message } };
        return { ok: false, error: { code: 'test-error', message: err instanceof Error ? err.message : String(err) } };
      }
    };
  }
  const extras = {
    subscribe: (listener: (event: CoveEvent) => void) => {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    emit: (event: CoveEvent) => {
      for (const listener of [...listeners]) listener(event);
    },
    calls,
    callsTo: <N extends OpName>(name: N): OpInput<N>[] => calls.filter((c) => c.name === name).map((c) => c.input as OpInput<N>),
  };
  return Object.assign(ops, extras) as unknown as FakeCove;
}

/** Makes a fake and puts it at `window.cove` (replacing any previous one). */
export function installFakeCove(handlers: FakeHandlers = {}): FakeCove {
  const cove = fakeCove(handlers);
  window.cove = cove;
  return cove;
}
