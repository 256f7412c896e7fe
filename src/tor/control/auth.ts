/**
 * Control-port authentication (control-spec 3.5, 3.24, 3.25 and proposal 193), picking the best method tor offers:
 *
 *   SAFECOOKIE      PROTOCOLINFO → AUTHCHALLENGE SAFECOOKIE <32 random bytes> → check tor's SERVERHASH, and only then
 *                   AUTHENTICATE with our hash. Whoever answers must prove it knows the cookie before we send
 *                   anything derived from it.
 *   COOKIE          AUTHENTICATE <hex of the cookie>. Only with a cookie path the caller pinned: a fake control port
 *                   could otherwise name any 32-byte file (a key) and have us send it in clear (tor bug 4303).
 *   HASHEDPASSWORD  AUTHENTICATE "<password>", when the caller gave one.
 *   NULL            AUTHENTICATE, when tor asks for nothing.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { TorAuthError, TorCommandError } from './errors';
import { parseProtocolInfo, type AuthMethod, type ProtocolInfo } from './parsers';
import type { Reply } from './reply-parser';
import { parseKeywordArgs, quoteString } from './syntax';

const SERVER_KEY = 'Tor safe cookie authentication server-to-controller hash';
const CLIENT_KEY = 'Tor safe cookie authentication controller-to-server hash';
const COOKIE_BYTES = 32;

export interface AuthOptions {
  /** For HASHEDPASSWORD. */
  readonly password?: string;
  /** The cookie file to use instead of the one PROTOCOLINFO names (and the only way to allow plain COOKIE). */
  readonly cookieFile?: string;
  /** Per command. */
  readonly timeoutMs?: number;
}

/** What authenticate() needs from the client: send one command, get its reply (4xx/5xx thrown as TorCommandError). */
export type CommandFn = (line: string, timeoutMs: number | undefined) => Promise<Reply>;

export async function authenticate(command: CommandFn, opts: AuthOptions): Promise<AuthMethod> {
  const info = parseProtocolInfo(await command('PROTOCOLINFO 1', opts.timeoutMs));
  const method = chooseMethod(info, opts);
  let line: string;
  switch (method) {
    case 'SAFECOOKIE':
      line = `AUTHENTICATE ${await safeCookie(command, await readCookie(opts.cookieFile ?? info.cookieFile ?? ''), opts.timeoutMs)}`;
      break;
    case 'COOKIE':
      line = `AUTHENTICATE ${(await readCookie(opts.cookieFile ?? '')).toString('hex')}`;
      break;
    case 'HASHEDPASSWORD':
      line = `AUTHENTICATE ${quoteString(opts.password ?? '', 'the password')}`;
      break;
    case 'NULL':
      line = 'AUTHENTICATE';
      break;
  }
  try {
    await command(line, opts.timeoutMs);
  } catch (err) {
    if (err instanceof TorCommandError && (err.status === 515 || err.status === 514)) {
      throw new TorAuthError('rejected', `tor refused the ${method} credentials`, { cause: err });
    }
    throw err;
  }
  return method;
}

export function chooseMethod(info: ProtocolInfo, opts: AuthOptions): AuthMethod {
  const m = info.methods;
  const cookie = opts.cookieFile ?? info.cookieFile;
  if (m.has('SAFECOOKIE') && cookie !== undefined && cookie !== '') return 'SAFECOOKIE';
  if (m.has('COOKIE') && opts.cookieFile !== undefined) return 'COOKIE';
  if (m.has('HASHEDPASSWORD') && opts.password !== undefined) return 'HASHEDPASSWORD';
  if (m.has('NULL')) return 'NULL';
  const offered = [...m].filter((x) => /^[A-Z]+$/.test(x)).join(', ');
  throw new TorAuthError('no-usable-method', `tor offers ${offered === '' ? 'no method' : offered}, and Cove has no credentials for it`);
}

async function readCookie(path: string): Promise<Buffer> {
  if (path === '') throw new TorAuthError('cookie-unreadable', 'tor names no cookie file');
  let cookie: Buffer;
  try {
    cookie = await readFile(path);
  } catch (err) {
    throw new TorAuthError('cookie-unreadable', 'the control cookie file cannot be read', { cause: err });
  }
  if (cookie.length !== COOKIE_BYTES) throw new TorAuthError('cookie-unreadable', `the control cookie file is not ${COOKIE_BYTES} bytes`);
  return cookie;
}

export function safeCookieHash(key: 'server' | 'client', cookie: Buffer, clientNonce: Buffer, serverNonce: Buffer): Buffer {
  return createHmac('sha256', key === 'server' ? SERVER_KEY : CLIENT_KEY)
    .update(Buffer.concat([cookie, clientNonce, serverNonce]))
    .digest();
}

/** AUTHCHALLENGE; checks tor's hash; returns the hex of ours for AUTHENTICATE. */
async function safeCookie(command: CommandFn, cookie: Buffer, timeoutMs: number | undefined): Promise<string> {
  const clientNonce = randomBytes(32);
  const reply = await command(`AUTHCHALLENGE SAFECOOKIE ${clientNonce.toString('hex').toUpperCase()}`, timeoutMs);
  const text = reply.lines[0]?.text ?? '';
  const args = parseKeywordArgs(text);
  const serverHashHex = args.values.get('SERVERHASH') ?? '';
  const serverNonceHex = args.values.get('SERVERNONCE') ?? '';
  if (args.positional[0] !== 'AUTHCHALLENGE' || !/^[0-9A-Fa-f]{64}$/.test(serverHashHex) || !/^[0-9A-Fa-f]{64}$/.test(serverNonceHex)) {
    throw new TorAuthError('bad-challenge', 'tor’s AUTHCHALLENGE reply lacks a valid SERVERHASH or SERVERNONCE');
  }
  const serverNonce = Buffer.from(serverNonceHex, 'hex');
  const expected = safeCookieHash('server', cookie, clientNonce, serverNonce);
  if (!timingSafeEqual(expected, Buffer.from(serverHashHex, 'hex'))) {
    throw new TorAuthError('server-hash-mismatch', 'the control port does not know tor’s cookie (SAFECOOKIE server hash mismatch)');
  }
  return safeCookieHash('client', cookie, clientNonce, serverNonce).toString('hex').toUpperCase();
}
