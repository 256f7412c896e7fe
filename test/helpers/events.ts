import type { EventEmitter } from 'node:events';

/** The next `event` on `emitter` whose arguments pass `match`; set it up BEFORE the action that causes the event. */
export function nextEvent<A extends unknown[]>(emitter: EventEmitter, event: string, match: (...args: A) => boolean, timeoutMs: number): Promise<A> {
  return new Promise((resolve, reject) => {
    const onEvent = (...args: unknown[]): void => {
      if (!match(...(args as A))) return;
      clearTimeout(timer);
      emitter.off(event, onEvent);
      resolve(args as A);
    };
    const timer = setTimeout(() => {
      emitter.off(event, onEvent);
      reject(new Error(`timed out waiting for ${event}`));
    }, timeoutMs);
    emitter.on(event, onEvent);
  });
}
