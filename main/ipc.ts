/**
 * The contract over Electron IPC, as plain functions (tested in ipc.test.ts without Electron): one `cove:<op>` channel
 * per operation, each refusing any sender but the app's own page and passing the rest through dispatch(), which checks
 * the input and the core's output against the contract. Events go to the page on one channel, checked first.
 */
import { EventSchema, OP_NAMES, type CoveEvent, type Handlers, type Result } from '../src/api/contract';
import { dispatch } from '../src/api/dispatch';
import type { Logger } from '../src/log/redact';

/** The channel of the core's events (main/preload.ts repeats it: it may not import this file). */
export const EVENT_CHANNEL = 'cove:event';

export function channelOf(op: string): string {
  return `cove:${op}`;
}

/** What a handler needs of Electron's IpcMainInvokeEvent. */
export interface InvokeEventLike {
  readonly senderFrame: { readonly url: string } | null;
}

export type IpcHandler = (event: InvokeEventLike, input?: unknown) => Promise<Result<unknown>>;

const untrusted: Result<never> = {
  ok: false,
  error: { code: 'ipc-untrusted-sender', message: 'This page may not use Cove’s core.' },
};

/** [channel, handler] for every operation of the contract, for ipcMain.handle. */
export function ipcHandlerTable(service: { readonly handlers: Handlers }, isTrustedSender: (url: string) => boolean, log?: Logger): [string, IpcHandler][] {
  return OP_NAMES.map((op): [string, IpcHandler] => [
    channelOf(op),
    async (event, input) => {
      const url = event.senderFrame?.url;
      if (url === undefined || !isTrustedSender(url)) {
        log?.warn(`ipc: refused ${op} from a page that is not Cove’s`);
        return untrusted;
      }
      return dispatch(service.handlers, op, input, log);
    },
  ]);
}

/**
 * The sender check for a window that loaded `indexUrl` (the renderer's index.html as a file: URL): the frame's URL,
 * without its query and fragment, must be exactly that page. Anything else (another file, a web page, an iframe of
 * another document, a frame that is gone) is refused.
 */
export function trustedSender(indexUrl: string): (url: string) => boolean {
  const expected = new URL(indexUrl);
  if (expected.protocol !== 'file:') throw new TypeError('the renderer is loaded from a file: URL');
  return (url) => {
    let given: URL;
    try {
      given = new URL(url);
    } catch {
      return false;
    }
    return given.protocol === 'file:' && given.host === expected.host && given.pathname === expected.pathname;
  };
}

/** The event as the page may receive it, or undefined (logged) when the core produced one outside the contract. */
export function checkedEvent(event: unknown, log?: Logger): CoveEvent | undefined {
  const parsed = EventSchema.safeParse(event);
  if (parsed.success) return parsed.data;
  log?.error(`ipc: dropped an event outside the contract (${parsed.error.issues.map((i) => i.path.join('.')).join(', ')})`);
  return undefined;
}
