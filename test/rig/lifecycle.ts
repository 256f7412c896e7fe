import { afterEach } from 'vitest';

/** Remembers whether any test of the current file failed, so that a rig keeps its logs for the post-mortem. */
export function trackFailures(): { failed: boolean } {
  const state = { failed: false };
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') state.failed = true;
  });
  return state;
}
