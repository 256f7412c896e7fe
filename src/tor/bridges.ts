/**
 * Bridge lines, validated before they reach tor: a malformed line gets a clear error naming what is wrong, instead of
 * a tor that silently never bootstraps. Forms accepted (as Tor Browser and bridges.torproject.org give them):
 *   vanilla    `IP:PORT [FINGERPRINT]`
 *   obfs4      `obfs4 IP:PORT FINGERPRINT cert=BASE64 iat-mode=0|1|2`
 *   snowflake  `snowflake IP:PORT FINGERPRINT fingerprint=HEX url=https://… [front=…|fronts=…] [ice=…] [utls-imitate=…]`
 * A leading `Bridge ` (as in a torrc) is allowed.
 */
import { isIP } from 'node:net';
import { CoveError } from '../api/result';

export type TransportName = 'vanilla' | 'obfs4' | 'snowflake';

export interface BridgeLine {
  transport: TransportName;
  /** host:port of the bridge (or the snowflake broker's placeholder address). */
  address: string;
  fingerprint?: string;
  params: Readonly<Record<string, string>>;
  /** The line as tor's `Bridge` option takes it (no `Bridge ` prefix). */
  line: string;
}

export class BridgeLineError extends CoveError {
  override name = 'BridgeLineError';
  constructor(message: string) {
    super('bridge-line-invalid', message);
  }
}

const FINGERPRINT = /^[0-9A-F]{40}$/i;
const MAX_LINE = 4096;

function parseAddress(token: string): string {
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(token) ?? /^([0-9.]+):(\d{1,5})$/.exec(token);
  if (m === null) throw new BridgeLineError(`"${token}" is not an IP:port address`);
  const [, ip = '', portText = ''] = m;
  const port = Number(portText);
  if (isIP(ip) === 0) throw new BridgeLineError(`"${ip}" is not an IP address`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new BridgeLineError(`port ${portText} is out of range`);
  return token;
}

function parseParams(tokens: readonly string[]): Record<string, string> {
  const params: Record<string, string> = {};
  for (const t of tokens) {
    const eq = t.indexOf('=');
    if (eq <= 0) throw new BridgeLineError(`"${t}" is not a key=value parameter`);
    const key = t.slice(0, eq);
    if (!/^[a-z][a-z0-9-]*$/i.test(key)) throw new BridgeLineError(`"${key}" is not a valid parameter name`);
    if (key in params) throw new BridgeLineError(`parameter "${key}" is given twice`);
    params[key] = t.slice(eq + 1);
  }
  return params;
}

function requireFingerprint(token: string | undefined, transport: string): string {
  if (token === undefined || !FINGERPRINT.test(token)) {
    throw new BridgeLineError(`a ${transport} bridge needs a 40-hex-digit fingerprint after its address`);
  }
  return token.toUpperCase();
}

function validateObfs4(params: Record<string, string>): void {
  const cert = params.cert;
  // The cert is the node ID and public key, 52 bytes, base64 without padding: 70 characters.
  if (cert === undefined || !/^[A-Za-z0-9+/]{70}$/.test(cert)) {
    throw new BridgeLineError('an obfs4 bridge needs cert= with 70 base64 characters');
  }
  const iat = params['iat-mode'];
  if (iat === undefined || !/^[012]$/.test(iat)) throw new BridgeLineError('an obfs4 bridge needs iat-mode=0, 1 or 2');
}

function validateSnowflake(params: Record<string, string>): void {
  const fp = params.fingerprint;
  if (fp === undefined || !FINGERPRINT.test(fp)) throw new BridgeLineError('a snowflake bridge needs fingerprint= (40 hex digits)');
  const url = params.url;
  let parsed: URL | undefined;
  try {
    parsed = url === undefined ? undefined : new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed?.protocol !== 'https:') throw new BridgeLineError('a snowflake bridge needs url= with an https:// broker address');
}

export function parseBridgeLine(input: string): BridgeLine {
  if (input.length > MAX_LINE) throw new BridgeLineError(`a bridge line may be at most ${MAX_LINE} characters`);
  if (/[\r\n\0]/.test(input)) throw new BridgeLineError('a bridge line must be one line');
  let tokens = input.trim().split(/\s+/).filter((t) => t.length > 0);
  if (tokens[0]?.toLowerCase() === 'bridge') tokens = tokens.slice(1);
  const [first, ...rest] = tokens;
  if (first === undefined) throw new BridgeLineError('the bridge line is empty');

  let transport: TransportName;
  let addressToken: string | undefined;
  let afterAddress: string[];
  if (/^[0-9[]/.test(first)) {
    transport = 'vanilla';
    addressToken = first;
    afterAddress = rest;
  } else if (first === 'obfs4' || first === 'snowflake') {
    transport = first;
    [addressToken, ...afterAddress] = rest;
  } else {
    throw new BridgeLineError(`unknown bridge transport "${first}": Cove supports obfs4, snowflake and plain bridges`);
  }
  if (addressToken === undefined) throw new BridgeLineError(`the ${transport} bridge line has no address`);
  const address = parseAddress(addressToken);

  if (transport === 'vanilla') {
    if (afterAddress.length > 1) throw new BridgeLineError('a plain bridge line is `IP:PORT [FINGERPRINT]`');
    const fp = afterAddress[0];
    if (fp !== undefined) requireFingerprint(fp, 'plain');
    const line = fp === undefined ? address : `${address} ${fp.toUpperCase()}`;
    return fp === undefined ? { transport, address, params: {}, line } : { transport, address, fingerprint: fp.toUpperCase(), params: {}, line };
  }

  const [fpToken, ...paramTokens] = afterAddress;
  const fingerprint = requireFingerprint(fpToken, transport);
  const params = parseParams(paramTokens);
  if (transport === 'obfs4') validateObfs4(params);
  else validateSnowflake(params);
  const line = [transport, address, fingerprint, ...paramTokens].join(' ');
  return { transport, address, fingerprint, params, line };
}

/** Parses several lines (one per line of `text`, blank lines and `#` comments skipped); the first bad one throws. */
export function parseBridgeLines(text: string): BridgeLine[] {
  const out: BridgeLine[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    try {
      out.push(parseBridgeLine(line));
    } catch (err) {
      if (err instanceof BridgeLineError) throw new BridgeLineError(`line ${i + 1}: ${err.message}`);
      throw err;
    }
  });
  return out;
}
