/**
 * Who may use the bridge: whoever holds the session's token (32 random bytes, printed once in the page link), from a
 * request addressed to 127.0.0.1:PORT (a DNS-rebinding page sends its own name as Host) and, for the WebSocket, from
 * the bridge's own page (Origin). The token is compared in constant time.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { BRIDGE_PATH } from './protocol';

export class Gate {
  readonly token: string;
  private readonly tokenBytes: Buffer;

  constructor(readonly port: number) {
    this.token = randomBytes(32).toString('base64url');
    this.tokenBytes = Buffer.from(this.token, 'utf8');
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  hostOk(req: IncomingMessage): boolean {
    return req.headers.host === `127.0.0.1:${this.port}`;
  }

  tokenOk(given: string | null): boolean {
    if (given === null) return false;
    const bytes = Buffer.from(given, 'utf8');
    return bytes.length === this.tokenBytes.length && timingSafeEqual(bytes, this.tokenBytes);
  }

  /** Why a WebSocket upgrade is refused, or undefined when it may go ahead. */
  refuseUpgrade(req: IncomingMessage): string | undefined {
    if (!this.hostOk(req)) return 'wrong Host';
    const url = requestUrl(req);
    if (url?.pathname !== BRIDGE_PATH) return 'wrong path';
    if (req.headers.origin !== this.origin) return 'foreign or missing Origin';
    if (!this.tokenOk(url.searchParams.get('token'))) return 'wrong or missing token';
    return undefined;
  }
}

/** The request target as a URL (origin-form only: "/path?query"); undefined for anything else. */
export function requestUrl(req: IncomingMessage): URL | undefined {
  const target = req.url ?? '';
  if (!target.startsWith('/')) return undefined;
  try {
    return new URL(`http://127.0.0.1${target}`);
  } catch {
    return undefined;
  }
}
