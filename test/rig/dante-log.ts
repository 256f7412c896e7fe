/**
 * Reads dante's log (dante-server 1.4.2, `log: connect disconnect error`, optionally `debug: 1`) back into the CONNECT
 * requests it passed or blocked, and the clients whose RFC 1929 authentication failed. Line shapes seen on this machine:
 *
 *   debug: dorequest(): command 1 request received from client 127.0.0.1.34448.  Accepted on 127.0.0.1.10801, …
 *          Packet: VER: 5 CMD: 1 FLAG: 0 ATYP: 3 address: a.test.7777
 *   debug: dorequest(): client requested target a.test.7777, we will use 127.0.0.2.7777
 *   info: pass(1): tcp/connect [: username%u@127.0.0.1.56622 127.0.0.1.10801 -> 127.0.0.1.53803 127.0.0.2.7777
 *   info: pass(1): tcp/connect ]: 0 -> username%u@C P -> 0, 0 -> E 127.0.0.3.7777 -> 0: remote peer error (Connection refused).  …
 *   info: block(1): tcp/connect ]: username%u@C P: could not resolve hostname "x.test": Name or service not known …
 *   info: block(2): tcp/connect ]: username%u@C P -> 0.0.0.0.0 10.1.2.3.7777
 *   info: block(1): tcp/accept ]: C P: error after reading 20 bytes in 0 seconds: system password authentication failed for user "u"
 */

/** One CONNECT request seen in dante's log. */
export interface DanteConnection {
  /** The client's address:port as dante saw it. */
  client: string;
  /** The RFC 1929 user it authenticated as, when it did. */
  user?: string;
  /** What the client asked for: a name when it sent ATYP domain (only known with `requestLog`), else an address. */
  destinationHost: string;
  destinationPort: number;
  addressType?: 'ipv4' | 'domain' | 'ipv6';
  /** The address dante connected to (or would have). */
  resolvedAddress?: string;
  /** `pending`: the request is logged, its outcome not (yet). */
  verdict: 'pass' | 'block' | 'pending';
  /** dante opened the TCP connection to the destination. */
  connected: boolean;
  /** Why it was blocked, failed or ended, as dante wrote it. */
  reason?: string;
}

export interface DanteAuthFailure {
  client: string;
  user?: string;
  reason: string;
}

const LINE = /danted\[(\d+)\]: \w+: (.*)$/;
const REQUEST = /^dorequest\(\): command 1 request received from client (\S+)\.\s+Accepted on .* ATYP: (\d+) address: (\S+)\s*$/;
const TARGET = /^dorequest\(\): client requested target (\S+), we will use (\S+)$/;
const VERDICT = /^(pass|block)\((\d+)\): tcp\/connect ([[\]]): (?:\d+ -> )?(?:username%(\S+?)@)?(\S+) [^\s:]+(.*)$/;
const VERDICT_REST = /^(?: -> (?:\d+, \d+ -> )?\S+ (\S+)(?: -> \d+)?)?(?:: (.*))?$/;
const AUTH_FAIL = /^block\(\d+\): tcp\/accept \]: (\S+) \S+: (.*authentication failed.*)$/;

/** dante writes endpoints as `address.port`; we show them as `address:port`. */
function splitEndpoint(ep: string): { host: string; port: number } {
  const i = ep.lastIndexOf('.');
  return { host: ep.slice(0, i), port: Number(ep.slice(i + 1)) };
}
const showEndpoint = (ep: string): string => `${splitEndpoint(ep).host}:${splitEndpoint(ep).port}`;

/** The log's lines with the byte offset each starts at. */
function* lines(log: Buffer): Generator<{ at: number; line: string }> {
  for (let at = 0; at < log.length; ) {
    const nl = log.indexOf(10, at);
    const end = nl === -1 ? log.length : nl;
    yield { at, line: log.toString('utf8', at, end) };
    at = end + 1;
  }
}

/** The CONNECT requests in `log` whose first line starts at or after byte `fromOffset`. */
export function parseConnections(log: Buffer, fromOffset = 0): DanteConnection[] {
  const out: { at: number; rec: DanteConnection }[] = [];
  const open = new Map<string, DanteConnection>(); // by client endpoint
  const lastByPid = new Map<string, DanteConnection>();
  for (const { at, line } of lines(log)) {
    const m = LINE.exec(line);
    if (m === null) continue;
    const [, pid = '', msg = ''] = m;
    const req = REQUEST.exec(msg);
    if (req !== null) {
      const [, client = '', atyp = '', address = ''] = req;
      const dest = splitEndpoint(address);
      const addressType = atyp === '3' ? 'domain' : atyp === '4' ? 'ipv6' : 'ipv4';
      const rec: DanteConnection = { client: showEndpoint(client), destinationHost: dest.host, destinationPort: dest.port, addressType, verdict: 'pending', connected: false };
      if (addressType !== 'domain') rec.resolvedAddress = dest.host;
      out.push({ at, rec });
      open.set(client, rec);
      lastByPid.set(pid, rec);
      continue;
    }
    const target = TARGET.exec(msg);
    const byPid = lastByPid.get(pid);
    if (target !== null && byPid !== undefined) {
      byPid.resolvedAddress = splitEndpoint(target[2] ?? '').host;
      continue;
    }
    const v = VERDICT.exec(msg);
    if (v === null) continue;
    const [, verdict = '', rule = '', bracket = '', user, client = '', restText = ''] = v;
    const rest = VERDICT_REST.exec(restText);
    const dest = rest?.[1] === undefined ? undefined : splitEndpoint(rest[1]);
    let rec = open.get(client);
    if (rec === undefined) {
      if (dest === undefined) continue; // e.g. a name that did not resolve, seen without the request line
      rec = { client: showEndpoint(client), destinationHost: dest.host, destinationPort: dest.port, verdict: 'pending', connected: false };
      out.push({ at, rec });
      open.set(client, rec);
    }
    rec.verdict = verdict === 'pass' ? 'pass' : 'block';
    if (user !== undefined) rec.user = user;
    if (dest !== undefined && dest.host !== '0.0.0.0') rec.resolvedAddress = dest.host;
    if (bracket === '[') {
      rec.connected = true;
    } else {
      const reason = rest?.[2] ?? (verdict === 'block' ? `blocked by socks-rule #${rule}` : undefined);
      if (reason !== undefined) rec.reason = reason.trim();
      open.delete(client);
    }
  }
  return out.filter((o) => o.at >= fromOffset).map((o) => o.rec);
}

export function parseAuthFailures(log: Buffer, fromOffset = 0): DanteAuthFailure[] {
  const out: DanteAuthFailure[] = [];
  for (const { at, line } of lines(log)) {
    if (at < fromOffset) continue;
    const msg = LINE.exec(line)?.[2];
    const m = msg === undefined ? null : AUTH_FAIL.exec(msg);
    if (m === null) continue;
    const reason = m[2] ?? '';
    const user = /for user "([^"]*)"/.exec(reason)?.[1];
    out.push({ client: showEndpoint(m[1] ?? ''), reason, ...(user === undefined ? {} : { user }) });
  }
  return out;
}
