/**
 * Refreshing the directory: the document and its signature bundle are fetched over the CURRENT privacy mode — the
 * Transport given (in the app, the ModeManager), through fetchVia — never a direct connection and never the platform's
 * HTTP stack. If the transport fails (the proxy is down, tor is not ready) the refresh fails: there is no fallback.
 *
 * Each request has a deadline and follows the caller's AbortSignal; transient failures (timeouts, refused or broken
 * connections, HTTP 5xx) are retried a few times with a growing pause; refusals (a bad directory, HTTP 4xx, the proxy
 * refusing our password, an abort) are not. Whatever happens, the store keeps its last good copy and the outcome
 * carries it.
 */
import { CoveError } from '../api/result';
import { AbortedError } from '../net/errors';
import { fetchVia, type FetchOptions } from '../net/http';
import type { TrackedConnectOptions } from '../net/registry';
import type { Transport } from '../net/transport';
import { DirectoryError, DirectoryFetchError } from './errors';
import { MAX_DIRECTORY_BYTES } from './schema';
import type { CurrentDirectory, DirectoryStore } from './store';

export interface RefreshOptions {
  /** The privacy mode's transport, as it is now. */
  transport: Transport;
  /** Where the document is, http(s). */
  url: string;
  /** Where its signature bundle is; default `<url>.sig`. */
  signaturesUrl?: string;
  /** Deadline of each request, connection set-up included (default 30 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Tries per request, 1 to 5 (default 3). */
  attempts?: number;
  /** Pause before the first retry, doubled each time (default 1 s). */
  retryDelayMs?: number;
  /** Extra CA certificates for https (tests). */
  ca?: string | Buffer;
  /** Tor stream isolation: the directory never shares a circuit with an account (default `cove-directory`). */
  isolationKey?: string;
}

export type RefreshOutcome =
  | { readonly status: 'updated'; readonly current: CurrentDirectory }
  /** The server has the very copy we have. */
  | { readonly status: 'unchanged'; readonly current: CurrentDirectory }
  /** Nothing changed; `current` is the last good copy (undefined if Cove has none at all). */
  | { readonly status: 'failed'; readonly error: CoveError; readonly current: CurrentDirectory | undefined };

export const MAX_ATTEMPTS = 5;
const RETRY_CODES = new Set(['connect-timeout', 'connect-failed', 'http-failed', 'directory-fetch-retry']);

export async function refreshDirectory(store: DirectoryStore, o: RefreshOptions): Promise<RefreshOutcome> {
  try {
    const bytes = await fetchWithRetries(o.url, o);
    const signatures = (await fetchWithRetries(o.signaturesUrl ?? `${o.url}.sig`, o)).toString('utf8');
    const before = store.current();
    if (before !== undefined && Buffer.from(before.directory.bytes).equals(bytes)) return { status: 'unchanged', current: before };
    await store.accept({ bytes: new Uint8Array(bytes), signatures });
    const current = store.current();
    if (current === undefined) throw new Error('the store has no current directory right after accepting one');
    return { status: 'updated', current };
  } catch (err) {
    if (err instanceof CoveError) return { status: 'failed', error: err, current: store.current() };
    throw err;
  }
}

/** A 5xx answer: worth another try, unlike a 4xx. */
class RetryableStatusError extends DirectoryError {
  constructor(readonly status: number) {
    super('directory-fetch-retry', `HTTP status ${String(status)}`);
  }
}

async function fetchWithRetries(url: string, o: RefreshOptions): Promise<Buffer> {
  const attempts = Math.min(MAX_ATTEMPTS, Math.max(1, Math.floor(o.attempts ?? 3)));
  let delay = o.retryDelayMs ?? 1000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetchOnce(url, o);
    } catch (err) {
      const retry = err instanceof CoveError && RETRY_CODES.has(err.code) && attempt < attempts && o.signal?.aborted !== true;
      if (!retry) {
        if (err instanceof RetryableStatusError) throw new DirectoryFetchError(`the server answered HTTP ${String(err.status)}`);
        throw err;
      }
      await sleep(delay, o.signal);
      delay *= 2;
    }
  }
}

async function fetchOnce(url: string, o: RefreshOptions): Promise<Buffer> {
  const options: FetchOptions & TrackedConnectOptions = {
    timeoutMs: o.timeoutMs ?? 30_000,
    maxBytes: MAX_DIRECTORY_BYTES,
    isolationKey: o.isolationKey ?? 'cove-directory',
    purpose: 'directory',
    headers: { accept: 'application/json, application/pgp-signature' },
    ...(o.signal === undefined ? {} : { signal: o.signal }),
    ...(o.ca === undefined ? {} : { ca: o.ca }),
  };
  const r = await fetchVia(o.transport, url, options);
  if (r.status >= 500) throw new RetryableStatusError(r.status);
  if (r.status !== 200) throw new DirectoryFetchError(`the server answered HTTP ${String(r.status)}`);
  return r.body;
}

async function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted === true) throw new AbortedError();
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new AbortedError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
