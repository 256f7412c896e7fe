/**
 * Async events (status 650, control-spec 4.1), typed by name. An event the client knows is parsed into its type; one
 * it does not know (or one whose body does not parse) still reaches `onAnyEvent` listeners as a RawTorEvent, so a
 * newer tor never breaks the connection by sending something new.
 */
import { TorProtocolError } from './errors';
import {
  bootstrapFromArgs,
  parseCircuitLine,
  parseStatusBody,
  parseStreamLine,
  type BootstrapStatus,
  type CircuitStatus,
  type StatusEventBody,
  type StreamStatus,
} from './parsers';
import type { Reply } from './reply-parser';

export interface RawTorEvent {
  /** The event name: the first word of the first line, e.g. `CIRC`. */
  readonly name: string;
  /** The first line's text after the name. */
  readonly body: string;
  readonly reply: Reply;
}

export interface StatusEvent extends StatusEventBody {
  readonly type: 'STATUS_CLIENT' | 'STATUS_GENERAL' | 'STATUS_SERVER';
  /** Set for BOOTSTRAP actions. */
  readonly bootstrap?: BootstrapStatus;
}

export interface LogEvent {
  readonly type: 'DEBUG' | 'INFO' | 'NOTICE' | 'WARN' | 'ERR';
  /** tor's log message (several lines when tor sent it as a data block). It may hold addresses: redact before logging. */
  readonly message: string;
}

export interface CircEvent extends CircuitStatus {
  readonly type: 'CIRC';
}

export interface StreamEvent extends StreamStatus {
  readonly type: 'STREAM';
}

export interface TorEventMap {
  STATUS_CLIENT: StatusEvent;
  STATUS_GENERAL: StatusEvent;
  STATUS_SERVER: StatusEvent;
  CIRC: CircEvent;
  STREAM: StreamEvent;
  DEBUG: LogEvent;
  INFO: LogEvent;
  NOTICE: LogEvent;
  WARN: LogEvent;
  ERR: LogEvent;
}

export type TorEventName = keyof TorEventMap;

const NAMES: ReadonlySet<string> = new Set<TorEventName>([
  'STATUS_CLIENT',
  'STATUS_GENERAL',
  'STATUS_SERVER',
  'CIRC',
  'STREAM',
  'DEBUG',
  'INFO',
  'NOTICE',
  'WARN',
  'ERR',
]);

export function isTorEventName(name: string): name is TorEventName {
  return NAMES.has(name);
}

/** Splits an event reply into name and body. Throws TorProtocolError when the first line is empty. */
export function rawEvent(reply: Reply): RawTorEvent {
  const first = reply.lines[0];
  if (first === undefined) throw new TorProtocolError('an event has no lines');
  const sp = first.text.indexOf(' ');
  const name = sp < 0 ? first.text : first.text.slice(0, sp);
  if (name === '') throw new TorProtocolError('an event has no name');
  return { name, body: sp < 0 ? '' : first.text.slice(sp + 1), reply };
}

export type TypedTorEvent = { [K in TorEventName]: { name: K; event: TorEventMap[K] } }[TorEventName];

/** Parses a known event; undefined for names this client does not type. Throws TorProtocolError on a bad body. */
export function typedEvent(raw: RawTorEvent): TypedTorEvent | undefined {
  const { name, body } = raw;
  switch (name) {
    case 'STATUS_CLIENT':
    case 'STATUS_GENERAL':
    case 'STATUS_SERVER': {
      const parsed = parseStatusBody(body);
      const bootstrap = parsed.action === 'BOOTSTRAP' ? { bootstrap: bootstrapFromArgs(parsed.severity, parsed.args) } : {};
      return { name, event: { type: name, ...parsed, ...bootstrap } };
    }
    case 'CIRC':
      return { name, event: { type: name, ...parseCircuitLine(body) } };
    case 'STREAM':
      return { name, event: { type: name, ...parseStreamLine(body) } };
    case 'DEBUG':
    case 'INFO':
    case 'NOTICE':
    case 'WARN':
    case 'ERR': {
      // One-line messages come as `650 NOTICE text`; multi-line ones as `650+NOTICE` + data block + `650 OK`.
      const first = raw.reply.lines[0];
      const message = first?.sep === '+' ? (first.data ?? '') : body;
      return { name, event: { type: name, message } };
    }
    default:
      return undefined;
  }
}
