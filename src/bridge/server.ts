/**
 * The browser bridge: the same UI as the desktop app, in an ordinary browser, where Electron cannot run. One HTTP
 * server on 127.0.0.1 only (never another interface) serves the built renderer read-only and, on the same port at
 * /bridge, the WebSocket that carries the contract (sockets.ts).
 *
 * Access: a random 32-byte token, in the link printed at start (http://127.0.0.1:PORT/?token=…). The page itself
 * (index.html) is served only with the token in its URL; the bridge client reads it from there to open the socket,
 * which also needs it. The static assets (the bundle's JS and CSS, icons) are served WITHOUT the token: they are the
 * public build output and hold no secret (the token is never written into them), ES module scripts and stylesheets
 * cannot carry the page's query string, and the alternative, a cookie, would add state to protect for no gain. What
 * the token guards is the core, and the core is reachable only through the WebSocket. Every response, assets included,
 * still needs Host 127.0.0.1:PORT (DNS rebinding) and carries Cross-Origin-Resource-Policy: same-origin, so that
 * another site cannot even embed them.
 */
import { readFile, realpath } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { CoveService } from '../api/service';
import type { Logger } from '../log/redact';
import { bridgeCsp, connectSource, rewriteCspMeta } from './csp';
import { Gate, requestUrl } from './gate';
import { attachSockets } from './sockets';
import { lookupStatic } from './static';

export interface BridgeOptions {
  readonly service: CoveService;
  /** The built renderer (renderer/dist), with its index.html. */
  readonly rendererDir: string;
  /** 0 (the default): a free port chosen by the system. */
  readonly port?: number;
  readonly log: Logger;
}

export interface Bridge {
  /** The page's link, token included: what the user opens. */
  readonly url: string;
  readonly token: string;
  readonly port: number;
  /** Open WebSockets (for tests and the start script's log). */
  readonly clients: () => number;
  close(): Promise<void>;
}

export class BridgeError extends Error {
  override name = 'BridgeError';
}

const LOOPBACK = '127.0.0.1';

export async function startBridge(options: BridgeOptions): Promise<Bridge> {
  const { service, log } = options;
  let root: string;
  try {
    root = await realpath(options.rendererDir);
    await readFile(join(root, 'index.html'));
  } catch {
    throw new BridgeError(`The renderer is not built (no index.html in ${options.rendererDir}): run npm run build:renderer.`);
  }
  const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000 });
  const port = await listen(server, options.port ?? 0);
  const gate = new Gate(port);
  const headers = securityHeaders(port);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    serveHttp(req, res, { root, gate, headers }).catch((err: unknown) => {
      log.error('bridge: a page request failed', err);
      if (!res.headersSent) respond(res, req, 500, headers, 'Cove could not read this file.');
      else res.destroy();
    });
  });
  server.on('clientError', (_err, socket) => {
    socket.destroy();
  });
  const hub = attachSockets(server, { service, gate, log });
  log.info(`bridge: serving the renderer on loopback port ${port}`);

  let closed: Promise<void> | undefined;
  return {
    url: `http://${LOOPBACK}:${port}/?token=${gate.token}`,
    token: gate.token,
    port,
    clients: hub.clients,
    close: () => {
      closed ??= (async () => {
        await hub.close();
        await new Promise<void>((resolve) => {
          server.close(() => {
            resolve();
          });
          server.closeAllConnections();
        });
      })();
      return closed;
    },
  };
}

async function listen(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: LOOPBACK, port, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new BridgeError('The bridge has no TCP port.');
  return address.port;
}

function securityHeaders(port: number): Readonly<Record<string, string>> {
  return {
    'Content-Security-Policy': bridgeCsp(port),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'X-Frame-Options': 'DENY',
  };
}

interface HttpContext {
  readonly root: string;
  readonly gate: Gate;
  readonly headers: Readonly<Record<string, string>>;
}

async function serveHttp(req: IncomingMessage, res: ServerResponse, { root, gate, headers }: HttpContext): Promise<void> {
  if (!gate.hostOk(req)) {
    respond(res, req, 403, headers, 'This address is not Cove’s: open the link Cove printed.');
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    respond(res, req, 405, { ...headers, Allow: 'GET, HEAD' }, 'Cove’s bridge only serves files.');
    return;
  }
  const url = requestUrl(req);
  if (url === undefined) {
    respond(res, req, 400, headers, 'Not a path.');
    return;
  }
  const found = await lookupStatic(root, url.pathname);
  if (found.kind === 'bad-path') {
    respond(res, req, 400, headers, 'Not a path of Cove’s page.');
    return;
  }
  if (found.kind === 'not-found') {
    respond(res, req, 404, headers, 'Not found.');
    return;
  }
  let body = await readFile(found.file);
  if (found.index) {
    if (!gate.tokenOk(url.searchParams.get('token'))) {
      respond(res, req, 403, headers, 'Open the link Cove printed when it started: it carries the key of this session.');
      return;
    }
    const page = rewriteCspMeta(body.toString('utf8'), connectSource(gate.port));
    if (page !== undefined) body = Buffer.from(page, 'utf8');
  }
  res.writeHead(200, { ...headers, 'Content-Type': found.type, 'Content-Length': String(body.length) });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function respond(res: ServerResponse, req: IncomingMessage, status: number, headers: Readonly<Record<string, string>>, text: string): void {
  const body = Buffer.from(`${text}\n`, 'utf8');
  res.writeHead(status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(body.length) });
  res.end(req.method === 'HEAD' ? undefined : body);
}
