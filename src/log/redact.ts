/**
 * Cove never logs an IP address or a JID. Every log line passes through `redact`, which replaces IPv4 and IPv6
 * addresses, JIDs (`local@domain[/resource]`) and onion addresses with placeholders. It errs on the side of
 * over-redacting: a log that loses a harmless `user@host` is better than one that keeps an address.
 */
import { isIP } from 'node:net';

// IPv4, but not 0.x.y.z: that block is no host's address, and tor's versions (0.4.9.11) look like it.
const IPV4 = /(?<![\d.])(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]\d?)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}(?![\d.])/g;
// IPv6 candidates (hex groups and colons, maybe a dotted tail and a zone), kept only if node:net calls them IPv6,
// so that times such as 12:30:05 are left alone.
const IPV6 = /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{0,4})(?:%[\w.-]+)?(?![\w:])/g;
// A JID's local part allows most characters but not the ones below (RFC 7622 forbids " & ' / : < > @ and space).
const JID = /[^\s"&'/:<>@()[\]{},;]+@[A-Za-z0-9.-]+\.?[A-Za-z0-9-]*(?:\/[^\s"'<>]*)?/g;
const ONION = /\b[a-z2-7]{56}\.onion\b|\b[a-z2-7]{16}\.onion\b/gi;

export function redact(text: string): string {
  return text
    .replace(JID, '[jid]')
    .replace(ONION, '[onion]')
    .replace(IPV6, (m) => (isIP(m.replace(/%.*$/, '')) === 6 ? '[ip]' : m))
    .replace(IPV4, '[ip]');
}

export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LogRecord {
  time: string;
  level: Level;
  scope: string;
  message: string;
}

export type Sink = (record: LogRecord) => void;

/** A logger whose every record is redacted before it reaches a sink (console, file, the UI's log view). */
export class Logger {
  constructor(
    private readonly scope: string,
    private readonly sink: Sink,
    private readonly min: Level = 'info',
  ) {}

  child(scope: string): Logger {
    return new Logger(`${this.scope}/${scope}`, this.sink, this.min);
  }

  log(level: Level, message: string, err?: unknown): void {
    if (ORDER[level] < ORDER[this.min]) return;
    const detail = err === undefined ? '' : `: ${describe(err)}`;
    this.sink({ time: new Date().toISOString(), level, scope: this.scope, message: redact(message + detail) });
  }

  debug(message: string): void {
    this.log('debug', message);
  }
  info(message: string): void {
    this.log('info', message);
  }
  warn(message: string, err?: unknown): void {
    this.log('warn', message, err);
  }
  error(message: string, err?: unknown): void {
    this.log('error', message, err);
  }
}

export const consoleSink: Sink = (r) => {
  process.stderr.write(`${r.time} ${r.level.toUpperCase()} [${r.scope}] ${r.message}\n`);
};

function describe(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return typeof err === 'string' ? err : 'a non-Error value was thrown';
}
