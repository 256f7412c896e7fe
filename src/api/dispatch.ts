/**
 * Serves one untrusted call against the contract: the operation must exist, its input must parse, and what the
 * core returns must match the output schema (a bug in the core shows as an error, never as bad data in the UI).
 * A CoveError becomes `{ok:false,error}`; anything else is a bug: logged (redacted) and answered with `internal`,
 * never a crash of the process that serves the UI.
 */
import type { Logger } from '../log/redact';
import { operations, parseCall, type Handlers, type Result } from './contract';
import { CoveError } from './result';

type AnyHandler = (input: unknown) => Promise<unknown>;

export async function dispatch(handlers: Handlers, name: unknown, input: unknown, log?: Logger): Promise<Result<unknown>> {
  const call = parseCall(name, input);
  if (!call.ok) return call;
  const handler = handlers[call.name] as AnyHandler;
  let value: unknown;
  try {
    value = await handler(call.input);
  } catch (err) {
    if (err instanceof CoveError) return { ok: false, error: err.toApiError() };
    log?.error(`operation ${call.name} failed`, err instanceof Error ? err : undefined);
    return { ok: false, error: { code: 'internal', message: 'Something went wrong inside Cove. The log (Settings → Logs) has the details.' } };
  }
  const out = operations[call.name].output.safeParse(value);
  if (!out.success) {
    log?.error(`operation ${call.name} returned data outside the contract: ${out.error.issues.map((i) => i.path.join('.')).join(', ')}`);
    return { ok: false, error: { code: 'internal', message: 'Cove produced an answer it could not show. The log has the details.' } };
  }
  return { ok: true, value: out.data };
}
