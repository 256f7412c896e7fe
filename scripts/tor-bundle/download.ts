/**
 * Downloads for the packaging script, which runs on the packager's machine at build time (not in the app: the app
 * never fetches anything outside its Transport). Plain HTTPS with Node's fetch; every attempt has a deadline, a
 * failed one is retried a capped number of times with a growing pause, then the next mirror is tried; a response
 * larger than the cap is cut off. Integrity is not this module's job: verify.ts checks everything downloaded.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { DownloadError } from './errors';

export interface DownloadOptions {
  /** Deadline of one attempt, headers and body (default 120 s). */
  timeoutMs?: number;
  /** Attempts per URL (default 3). */
  attempts?: number;
  /** Pause before the 2nd attempt, doubled each time (default 2 s). */
  backoffMs?: number;
  /** Largest body accepted (default 256 MiB). */
  maxBytes?: number;
  /** Only https: URLs unless this is set (the tests serve 127.0.0.1 over http). */
  allowHttp?: boolean;
  log?: (line: string) => void;
}

class TooLarge extends Error {}

async function attempt(url: string, file: string, o: Required<Omit<DownloadOptions, 'log' | 'allowHttp'>>): Promise<void> {
  const signal = AbortSignal.timeout(o.timeoutMs);
  const res = await fetch(url, { signal, redirect: 'follow' });
  if (!res.ok || res.body === null) throw new Error(`HTTP ${String(res.status)}`);
  const declared = Number(res.headers.get('content-length') ?? 'NaN');
  if (declared > o.maxBytes) throw new TooLarge(`${String(declared)} bytes, over the ${String(o.maxBytes)}-byte cap`);
  let seen = 0;
  const cap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > o.maxBytes) done(new TooLarge(`over the ${String(o.maxBytes)}-byte cap`));
      else done(null, chunk);
    },
  });
  await pipeline(Readable.fromWeb(res.body), cap, createWriteStream(file), { signal });
}

/** Fetches the first URL that works into `file` (written whole or not at all). */
export async function download(urls: readonly string[], file: string, opts: DownloadOptions = {}): Promise<string> {
  const o = { timeoutMs: opts.timeoutMs ?? 120_000, attempts: Math.max(1, Math.min(opts.attempts ?? 3, 10)), backoffMs: opts.backoffMs ?? 2000, maxBytes: opts.maxBytes ?? 256 * 1024 * 1024 };
  const log = opts.log ?? ((): void => undefined);
  await mkdir(dirname(file), { recursive: true });
  const partial = `${file}.part`;
  const failures: string[] = [];
  for (const url of urls) {
    const scheme = new URL(url).protocol;
    if (scheme !== 'https:' && !(scheme === 'http:' && opts.allowHttp === true)) {
      failures.push(`${url}: not https`);
      continue;
    }
    for (let i = 1; i <= o.attempts; i += 1) {
      try {
        log(`fetching ${url}${i > 1 ? ` (attempt ${String(i)} of ${String(o.attempts)})` : ''}`);
        await attempt(url, partial, o);
        await rename(partial, file);
        return url;
      } catch (err) {
        await rm(partial, { force: true });
        const why = err instanceof Error ? (err.name === 'TimeoutError' ? `no answer within ${String(o.timeoutMs)} ms` : err.message) : String(err);
        failures.push(`${url}: ${why}`);
        if (err instanceof TooLarge) break;
        if (i < o.attempts) await sleep(o.backoffMs * 2 ** (i - 1));
      }
    }
  }
  throw new DownloadError('tor-download-failed', `Could not download ${urls[0] ?? '(no URL)'}:\n  ${failures.join('\n  ')}`);
}
