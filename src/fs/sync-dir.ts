import { closeSync, fsyncSync, openSync } from 'node:fs';

/** fsyncs a directory, so that a rename into it survives a power loss (after an atomic temp-file + rename write). */
export function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Not every platform can fsync a directory (Windows cannot open one); the rename is still atomic there.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
