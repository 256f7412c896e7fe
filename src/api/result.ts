/**
 * The result shape of every operation of the contract between the UI and the core: `{ ok: true, value }` or
 * `{ ok: false, error }`, where `error` is plain data that crosses IPC and the browser bridge unchanged.
 */
export interface ApiError {
  /** A stable machine-readable code, e.g. `proxy-unreachable`. */
  readonly code: string;
  /** A sentence for a person: what went wrong and, where there is one, what to do. */
  readonly message: string;
}

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ApiError };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail(code: string, message: string): Result<never> {
  return { ok: false, error: { code, message } };
}

/** The base class of the core's typed errors: each carries the `code` that its `Result` will show. */
export class CoveError extends Error {
  override name = 'CoveError';
  constructor(
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  toApiError(): ApiError {
    return { code: this.code, message: this.message };
  }
}

/** Runs `work` and turns a thrown CoveError into a failed Result; anything else is a bug and is rethrown. */
export async function toResult<T>(work: () => Promise<T>): Promise<Result<T>> {
  try {
    return ok(await work());
  } catch (err) {
    if (err instanceof CoveError) return { ok: false, error: err.toApiError() };
    throw err;
  }
}
