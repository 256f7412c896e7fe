import { afterEach } from 'vitest';

export interface Failures {
  /** True once a test of the file failed, or a set-up run through `guard` threw: the rig then keeps its logs. */
  failed: boolean;
  /** Runs a set-up step (a beforeAll body); if it throws, the file counts as failed, so the logs are kept. */
  guard: <T>(setUp: () => Promise<T>) => Promise<T>;
}

/** Remembers whether any test of the current file failed, so that a rig keeps its logs for the post-mortem. */
export function trackFailures(): Failures {
  const state: Failures = {
    failed: false,
    guard: async (setUp) => {
      try {
        return await setUp();
      } catch (err) {
        state.failed = true;
        throw err;
      }
    },
  };
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') state.failed = true;
  });
  return state;
}
