/**
 * The renderer's only way to the core: `window.cove`, put there by Electron's preload or, in a browser, by the
 * bridge client (bridge-client.ts). Every call answers `{ok:true,value}|{ok:false,error}` per src/api/contract.ts.
 */
import type { CoveApi, OpInput, OpName, OpOutput } from '../../src/api/contract';

declare global {
  interface Window {
    cove?: CoveApi;
  }
}

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function api(): CoveApi {
  const cove = window.cove;
  if (cove === undefined) throw new ApiError('no-core', 'Cove’s core is not reachable from this window.');
  return cove;
}

/** Calls an operation and returns its value, or throws ApiError with the core's code and sentence. */
export async function call<N extends OpName>(name: N, input: OpInput<N>): Promise<OpOutput<N>> {
  const fn = api()[name] as (i: OpInput<N>) => Promise<{ ok: true; value: OpOutput<N> } | { ok: false; error: { code: string; message: string } }>;
  const result = await fn(input);
  if (!result.ok) throw new ApiError(result.error.code, result.error.message);
  return result.value;
}
