/**
 * The browser bridge's wire protocol (JSON text frames over one WebSocket, path /bridge):
 *   client → server  {id, op, input}      one call of the contract; `id` is the client's, a non-negative integer
 *   server → client  {id, result}         its Result (dispatch(): input and output checked against the contract)
 *   server → client  {event}              every event of the core, checked against EventSchema
 *   server → client  {id: null, result}   a frame the server could not read (result.error.code 'bridge-bad-frame')
 * Imports nothing from node: the renderer's bridge client uses these types too.
 */
import type { CoveEvent, Result } from '../api/contract';

export const BRIDGE_PATH = '/bridge';
/** The largest frame either side accepts (a message is at most 64 KiB of text; a CAPTCHA picture fits). */
export const MAX_FRAME_BYTES = 1024 * 1024;
/** Calls one socket may have open at once; more are answered 'bridge-busy' at once. */
export const MAX_IN_FLIGHT = 64;

export interface CallFrame {
  readonly id: number;
  readonly op: string;
  readonly input: unknown;
}

export type ReplyFrame = { readonly id: number | null; readonly result: Result<unknown> } | { readonly event: CoveEvent };

export type ParsedCall = { readonly ok: true; readonly call: CallFrame } | { readonly ok: false; readonly id: number | null; readonly message: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Reads one text frame from a client; never throws. A bad frame keeps its id when it has a readable one. */
export function parseCallFrame(text: string): ParsedCall {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, id: null, message: 'The bridge received a frame that is not JSON.' };
  }
  if (!isRecord(value)) return { ok: false, id: null, message: 'The bridge expects a frame {id, op, input}.' };
  const id = isId(value.id) ? value.id : null;
  if (id === null) return { ok: false, id: null, message: 'The frame has no valid id (a non-negative integer).' };
  if (typeof value.op !== 'string' || value.op.length === 0 || value.op.length > 64) return { ok: false, id, message: 'The frame has no valid op (an operation name).' };
  const extra = Object.keys(value).filter((k) => k !== 'id' && k !== 'op' && k !== 'input');
  if (extra.length > 0) return { ok: false, id, message: 'The frame has fields other than id, op and input.' };
  return { ok: true, call: { id, op: value.op, input: value.input } };
}

export function badFrame(id: number | null, message: string): ReplyFrame {
  return { id, result: { ok: false, error: { code: 'bridge-bad-frame', message } } };
}
