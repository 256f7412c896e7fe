/** Test plumbing for src/store/: temp directories for real database files, a cheap KDF, a seeded conversation. */
import { afterEach } from 'vitest';
import { finishRunDir, makeRunDir } from '../../../test/rig/util';
import type { ScryptParams } from '../key';
import type { Store } from '../profile';

/** scrypt at its lowest allowed cost (16 MiB, ~10 ms): for tests that are not about the KDF's strength. */
export const FAST_KDF: ScryptParams = { N: 2 ** 14, r: 8, p: 1 };

export interface TempFiles {
  /** A fresh directory under the system temp dir. */
  dir(): Promise<string>;
  /** Closes `thing` after the test, before its directory is removed. */
  track<T extends { close(): void }>(thing: T): T;
}

/**
 * Temp directories removed after each test (kept, with a note on stderr, when the test failed), and stores closed
 * before that. Call at the top level of a test file: it registers the afterEach that cleans up.
 */
export function useTemp(name: string): TempFiles {
  const dirs: string[] = [];
  const open: { close(): void }[] = [];
  afterEach(async (ctx) => {
    for (const thing of open.splice(0)) thing.close();
    const failed = ctx.task.result?.state === 'fail';
    for (const dir of dirs.splice(0)) await finishRunDir(dir, failed);
  });
  return {
    dir: async () => {
      const dir = await makeRunDir(`store-${name}`);
      dirs.push(dir);
      return dir;
    },
    track: (thing) => {
      open.push(thing);
      return thing;
    },
  };
}

/** An account and one conversation with a peer. */
export function seedConversation(store: Store, peer = 'peer@b.test'): { accountId: number; conversationId: number } {
  const account = store.accounts.ensure('me@a.test');
  const conversation = store.conversations.ensure(account.id, peer);
  return { accountId: account.id, conversationId: conversation.id };
}
