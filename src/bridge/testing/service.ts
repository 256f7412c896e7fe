/**
 * A CoveService for the bridge's tests: the operations a test gives, every other one answering CoveError
 * 'not-in-test', and `emit` to push an event (any value: a test may push one outside the contract on purpose).
 */
import { OP_NAMES, type CoveEvent, type Handlers } from '../../api/contract';
import { CoveError } from '../../api/result';
import type { CoveService } from '../../api/service';

export class TestService implements CoveService {
  readonly handlers: Handlers;
  /** The operations the core was asked for, in order (after the contract's checks). */
  readonly calls: string[] = [];
  private readonly listeners = new Set<(event: CoveEvent) => void>();

  constructor(partial: Partial<Handlers>) {
    const all: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const name of OP_NAMES) {
      const given = partial[name] as ((input: unknown) => Promise<unknown>) | undefined;
      all[name] = (input) => {
        this.calls.push(name);
        return given === undefined ? Promise.reject(new CoveError('not-in-test', `${name} is not part of this test.`)) : given(input);
      };
    }
    this.handlers = all as unknown as Handlers;
  }

  subscribe(listener: (event: CoveEvent) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  emit(event: unknown): void {
    for (const listener of this.listeners) listener(event as CoveEvent);
  }
}

/** A promise with its resolve function: a handler that answers when the test says so. */
export function gate<T>(): { promise: Promise<T>; open: (value: T) => void } {
  let open: (value: T) => void = () => undefined;
  const promise = new Promise<T>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}
