/**
 * Parsers of the replies and values later code needs: GETINFO/GETCONF replies, PROTOCOLINFO, bootstrap status
 * (`status/bootstrap-phase` and STATUS_CLIENT BOOTSTRAP events), `circuit-status` / CIRC, `stream-status` / STREAM,
 * `net/listeners/*` and the ControlPortWriteToFile file. Fields are read as keywords (PROGRESS=, TAG=...), never by
 * comparing whole strings, so new keywords from a newer tor are ignored rather than breaking us. Malformed input
 * throws TorProtocolError.
 */
import { TorProtocolError } from './errors';
import type { Reply } from './reply-parser';
import { parseKeywordArgs, parseQuotedList, unquote, type KeywordArgs } from './syntax';

/** GETINFO: `250-key=value` or `250+key=` with a data block, then `250 OK`. Values are returned raw. */
export function parseGetInfoReply(reply: Reply): Map<string, string> {
  const out = new Map<string, string>();
  const last = reply.lines.at(-1);
  if (last?.text !== 'OK') throw new TorProtocolError('a GETINFO reply does not end in OK');
  for (const line of reply.lines.slice(0, -1)) {
    const eq = line.text.indexOf('=');
    if (eq <= 0) throw new TorProtocolError('a GETINFO reply line is not key=value');
    const k = line.text.slice(0, eq);
    if (line.sep === '+') {
      if (eq !== line.text.length - 1) throw new TorProtocolError('a GETINFO data line has text after "="');
      out.set(k, line.data ?? '');
    } else {
      out.set(k, line.text.slice(eq + 1));
    }
  }
  return out;
}

/**
 * GETCONF: one line per value, `Key=Value` (Value quoted when tor had to escape it) or a bare `Key` when the option is
 * unset. A key may come more than once (SocksPort, Bridge...). Returns [key, value | undefined] in tor's order.
 */
export function parseGetConfReply(reply: Reply): [string, string | undefined][] {
  return reply.lines.map((line): [string, string | undefined] => {
    const eq = line.text.indexOf('=');
    if (eq < 0) return [line.text, undefined];
    if (eq === 0) throw new TorProtocolError('a GETCONF reply line has no key');
    const raw = line.text.slice(eq + 1);
    return [line.text.slice(0, eq), raw.startsWith('"') ? unquote(raw) : raw];
  });
}

export type AuthMethod = 'NULL' | 'HASHEDPASSWORD' | 'COOKIE' | 'SAFECOOKIE';

export interface ProtocolInfo {
  readonly methods: ReadonlySet<string>;
  readonly cookieFile?: string;
  readonly torVersion?: string;
}

/** PROTOCOLINFO 1: `250-AUTH METHODS=... [COOKIEFILE="..."]`, `250-VERSION Tor="..."`. */
export function parseProtocolInfo(reply: Reply): ProtocolInfo {
  let methods: Set<string> | undefined;
  let cookieFile: string | undefined;
  let torVersion: string | undefined;
  for (const line of reply.lines) {
    const sp = line.text.indexOf(' ');
    const word = sp < 0 ? line.text : line.text.slice(0, sp);
    const args = parseKeywordArgs(sp < 0 ? '' : line.text.slice(sp + 1));
    if (word === 'AUTH') {
      const m = args.values.get('METHODS');
      if (m === undefined) throw new TorProtocolError('PROTOCOLINFO lacks METHODS=');
      methods = new Set(m.split(',').filter((x) => x !== ''));
      cookieFile = args.values.get('COOKIEFILE');
    } else if (word === 'VERSION') {
      torVersion = args.values.get('Tor');
    }
  }
  if (methods === undefined) throw new TorProtocolError('PROTOCOLINFO lacks an AUTH line');
  return { methods, ...(cookieFile === undefined ? {} : { cookieFile }), ...(torVersion === undefined ? {} : { torVersion }) };
}

export type Severity = 'NOTICE' | 'WARN' | 'ERR';

function severity(word: string | undefined): Severity {
  if (word === 'NOTICE' || word === 'WARN' || word === 'ERR') return word;
  throw new TorProtocolError('a status has no NOTICE/WARN/ERR severity');
}

export interface BootstrapStatus {
  readonly severity: Severity;
  /** 0–100. */
  readonly progress: number;
  /** e.g. `starting`, `conn_done`, `done`. */
  readonly tag: string;
  readonly summary: string;
  /** Set when tor reports a problem (severity WARN): its explanation, e.g. "No route to host". */
  readonly warning?: string;
  /** e.g. `NOROUTE`, `TIMEOUT`, `DONE`, `PT_MISSING` (tor's spelling kept). */
  readonly reason?: string;
  /** `ignore` or `warn`: whether tor thinks the user should be told. */
  readonly recommendation?: string;
  readonly count?: number;
  /** The relay or bridge address tor was trying. An address: never log it. */
  readonly hostAddr?: string;
}

/** From the keyword part of a BOOTSTRAP status (`PROGRESS=.. TAG=.. SUMMARY=".." [WARNING=..] ...`). */
export function bootstrapFromArgs(sev: Severity, args: KeywordArgs): BootstrapStatus {
  const progressText = args.values.get('PROGRESS');
  const tag = args.values.get('TAG');
  if (progressText === undefined || !/^\d{1,3}$/.test(progressText) || Number(progressText) > 100) {
    throw new TorProtocolError('a bootstrap status has no PROGRESS between 0 and 100');
  }
  if (tag === undefined || tag === '') throw new TorProtocolError('a bootstrap status has no TAG');
  const opt = (k: string, name: string): Record<string, string> => {
    const v = args.values.get(k);
    return v === undefined ? {} : { [name]: v };
  };
  const countText = args.values.get('COUNT');
  const count = countText !== undefined && /^\d+$/.test(countText) ? { count: Number(countText) } : {};
  return {
    severity: sev,
    progress: Number(progressText),
    tag,
    summary: args.values.get('SUMMARY') ?? '',
    ...opt('WARNING', 'warning'),
    ...opt('REASON', 'reason'),
    ...opt('RECOMMENDATION', 'recommendation'),
    ...count,
    ...opt('HOSTADDR', 'hostAddr'),
  };
}

/** `GETINFO status/bootstrap-phase`: `NOTICE BOOTSTRAP PROGRESS=.. TAG=.. SUMMARY=".."`. */
export function parseBootstrapPhase(value: string): BootstrapStatus {
  const args = parseKeywordArgs(value);
  if (args.positional[1] !== 'BOOTSTRAP') throw new TorProtocolError('status/bootstrap-phase is not a BOOTSTRAP status');
  return bootstrapFromArgs(severity(args.positional[0]), args);
}

export interface StatusEventBody {
  readonly severity: Severity;
  /** e.g. BOOTSTRAP, CLOCK_SKEW, CIRCUIT_ESTABLISHED, ENOUGH_DIR_INFO, DANGEROUS_SOCKS. */
  readonly action: string;
  readonly args: KeywordArgs;
}

/** The text after the event name of STATUS_CLIENT / STATUS_GENERAL / STATUS_SERVER: `Severity Action args...`. */
export function parseStatusBody(text: string): StatusEventBody {
  const args = parseKeywordArgs(text);
  const action = args.positional[1];
  if (action === undefined) throw new TorProtocolError('a status event has no action');
  return { severity: severity(args.positional[0]), action, args };
}

/** CLOCK_SKEW: SKEW= seconds (positive: our clock is behind) and SOURCE=. */
export function clockSkew(body: StatusEventBody): { skewSeconds: number; source: string } | undefined {
  if (body.action !== 'CLOCK_SKEW') return undefined;
  const skew = Number(body.args.values.get('SKEW'));
  return Number.isFinite(skew) ? { skewSeconds: skew, source: body.args.values.get('SOURCE') ?? '' } : undefined;
}

export interface RelayRef {
  /** 40 upper-case hex digits. */
  readonly fingerprint: string;
  readonly nickname?: string;
}

/** One hop of a path: `$FP~nickname`, `$FP=nickname` or `$FP`. */
export function parseRelayRef(text: string): RelayRef {
  const m = /^\$([0-9A-Fa-f]{40})(?:[~=]([A-Za-z0-9]{1,19}))?$/.exec(text);
  const fp = m?.[1];
  if (m === null || fp === undefined) throw new TorProtocolError('a circuit path hop is not $FINGERPRINT[~nickname]');
  const nick = m[2];
  return { fingerprint: fp.toUpperCase(), ...(nick === undefined ? {} : { nickname: nick }) };
}

export interface CircuitStatus {
  readonly id: string;
  /** LAUNCHED, BUILT, GUARD_WAIT, EXTENDED, FAILED, CLOSED. */
  readonly status: string;
  readonly path: readonly RelayRef[];
  readonly purpose?: string;
  readonly buildFlags: readonly string[];
  readonly reason?: string;
  /** Which SOCKS credentials (so which account) the circuit is isolated for. */
  readonly socksUsername?: string;
  readonly args: KeywordArgs;
}

/** One `circuit-status` line or the body of a CIRC event: `ID STATUS [PATH] [KEY=VALUE...]`. */
export function parseCircuitLine(text: string): CircuitStatus {
  const args = parseKeywordArgs(text);
  const [id, status, pathText] = args.positional;
  if (id === undefined || !/^[A-Za-z0-9]{1,16}$/.test(id)) throw new TorProtocolError('a circuit has no valid id');
  if (status === undefined || status === '') throw new TorProtocolError('a circuit has no status');
  const path = pathText === undefined || pathText === '' ? [] : pathText.split(',').map(parseRelayRef);
  const v = args.values;
  const flags = v.get('BUILD_FLAGS');
  return {
    id,
    status,
    path,
    buildFlags: flags === undefined || flags === '' ? [] : flags.split(','),
    ...maybe('purpose', v.get('PURPOSE')),
    ...maybe('reason', v.get('REASON')),
    ...maybe('socksUsername', v.get('SOCKS_USERNAME')),
    args,
  };
}

export interface StreamStatus {
  readonly id: string;
  /** NEW, NEWRESOLVE, REMAP, SENTCONNECT, SENTRESOLVE, SUCCEEDED, FAILED, CLOSED, DETACHED... */
  readonly status: string;
  /** "0" while the stream is not attached to a circuit. */
  readonly circuitId: string;
  /** host:port the stream goes to. An address: never log it. */
  readonly target: string;
  readonly reason?: string;
  readonly purpose?: string;
  readonly socksUsername?: string;
  readonly args: KeywordArgs;
}

/** One `stream-status` line or the body of a STREAM event: `ID STATUS CIRCID TARGET [KEY=VALUE...]`. */
export function parseStreamLine(text: string): StreamStatus {
  const args = parseKeywordArgs(text);
  const [id, status, circuitId, target] = args.positional;
  if (id === undefined || status === undefined || circuitId === undefined || target === undefined) {
    throw new TorProtocolError('a stream line lacks id, status, circuit or target');
  }
  const v = args.values;
  return {
    id,
    status,
    circuitId,
    target,
    ...maybe('reason', v.get('REASON')),
    ...maybe('purpose', v.get('PURPOSE')),
    ...maybe('socksUsername', v.get('SOCKS_USERNAME')),
    args,
  };
}

function nonEmptyLines(value: string): string[] {
  return value.split('\n').filter((l) => l.trim() !== '');
}

/** `GETINFO circuit-status`: one circuit per line (none: empty). */
export function parseCircuitStatus(value: string): CircuitStatus[] {
  return nonEmptyLines(value).map(parseCircuitLine);
}

/** `GETINFO stream-status`: one stream per line (none: empty). */
export function parseStreamStatus(value: string): StreamStatus[] {
  return nonEmptyLines(value).map(parseStreamLine);
}

export type Listener = { readonly kind: 'tcp'; readonly host: string; readonly port: number } | { readonly kind: 'unix'; readonly path: string };

/** One listener address: `127.0.0.1:9050`, `[::1]:9050` or `unix:/path`. */
export function parseListener(text: string): Listener {
  if (text.startsWith('unix:')) return { kind: 'unix', path: text.slice(5) };
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (host === undefined || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new TorProtocolError('a listener is not host:port or unix:path');
  }
  return { kind: 'tcp', host, port };
}

/** `GETINFO net/listeners/socks` (and the other net/listeners/*): space-separated QuotedStrings; empty when none. */
export function parseListeners(value: string): Listener[] {
  return parseQuotedList(value).map(parseListener);
}

/** The file ControlPortWriteToFile writes: `PORT=127.0.0.1:9051` and/or `UNIX_PORT=/path` lines. */
export function parseControlPortFile(text: string): Listener[] {
  const out: Listener[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.startsWith('PORT=')) out.push(parseListener(line.slice(5)));
    else if (line.startsWith('UNIX_PORT=')) out.push({ kind: 'unix', path: line.slice(10) });
    else if (line.trim() !== '') throw new TorProtocolError('the control port file holds an unknown line');
  }
  if (out.length === 0) throw new TorProtocolError('the control port file names no port');
  return out;
}

function maybe<K extends string>(k: K, v: string | undefined): Partial<Record<K, string>> {
  return v === undefined ? {} : ({ [k]: v } as Record<K, string>);
}
