/**
 * The bridge's WebSocket side: refuses an upgrade that fails the Gate with a bare HTTP 403 before any WebSocket data,
 * then serves calls (dispatch(): input and output checked against the contract) and pushes the core's events
 * (checked against EventSchema). A bad frame is answered, never fatal; a socket may have MAX_IN_FLIGHT calls open,
 * and one that does not read what it is sent is cut off.
 */
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { EventSchema, type CoveEvent, type Result } from '../api/contract';
import { dispatch } from '../api/dispatch';
import type { CoveService } from '../api/service';
import type { Logger } from '../log/redact';
import type { Gate } from './gate';
import { badFrame, MAX_FRAME_BYTES, MAX_IN_FLIGHT, parseCallFrame, type ReplyFrame } from './protocol';

/** Open sockets at most (a few tabs of the same page); one more is refused with 503. */
const MAX_SOCKETS = 16;
/** Bytes queued for a socket that does not read before it is cut off. */
const MAX_BUFFERED = 8 * 1024 * 1024;
const CLOSE_GRACE_MS = 500;

export interface SocketHub {
  readonly clients: () => number;
  close(): Promise<void>;
}

export function attachSockets(server: Server, options: { service: CoveService; gate: Gate; log: Logger }): SocketHub {
  const { service, gate, log } = options;
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });
  const clients = new Set<WebSocket>();

  server.on('upgrade', (req, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {
      socket.destroy();
    });
    const refusal = gate.refuseUpgrade(req);
    if (refusal !== undefined) {
      log.warn(`bridge: refused a WebSocket (${refusal})`);
      refuse(socket, 403, 'Forbidden');
      return;
    }
    if (clients.size >= MAX_SOCKETS) {
      refuse(socket, 503, 'Service Unavailable');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      clients.add(ws);
      serveSocket(ws, service, log);
      ws.on('close', () => clients.delete(ws));
    });
  });

  const unsubscribe = service.subscribe((event: CoveEvent) => {
    const parsed = EventSchema.safeParse(event);
    if (!parsed.success) {
      log.error(`bridge: dropped an event outside the contract (${parsed.error.issues.map((i) => i.path.join('.')).join(', ')})`);
      return;
    }
    const frame = JSON.stringify({ event: parsed.data } satisfies ReplyFrame);
    for (const ws of clients) sendText(ws, frame, log);
  });

  return {
    clients: () => clients.size,
    close: async () => {
      unsubscribe();
      const closing = [...clients].map(
        (ws) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              ws.terminate();
            }, CLOSE_GRACE_MS);
            ws.once('close', () => {
              clearTimeout(timer);
              resolve();
            });
            ws.close(1001, 'Cove is stopping');
          }),
      );
      await Promise.all(closing);
      await new Promise<void>((resolve) => {
        wss.close(() => {
          resolve();
        });
      });
    },
  };
}

function refuse(socket: Duplex, status: number, reason: string): void {
  socket.once('finish', () => {
    socket.destroy();
  });
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

function serveSocket(ws: WebSocket, service: CoveService, log: Logger): void {
  let inFlight = 0;
  ws.on('error', (err) => {
    log.warn('bridge: a socket failed', err);
  });
  ws.on('message', (data: RawData, isBinary: boolean) => {
    if (isBinary) {
      send(ws, badFrame(null, 'The bridge takes text frames only.'), log);
      return;
    }
    const parsed = parseCallFrame(toText(data));
    if (!parsed.ok) {
      send(ws, badFrame(parsed.id, parsed.message), log);
      return;
    }
    const { id, op, input } = parsed.call;
    if (inFlight >= MAX_IN_FLIGHT) {
      send(ws, { id, result: { ok: false, error: { code: 'bridge-busy', message: `Too many requests at once (at most ${MAX_IN_FLIGHT}); try again.` } } }, log);
      return;
    }
    inFlight += 1;
    void dispatch(service.handlers, op, input, log)
      .catch((err: unknown): Result<unknown> => {
        log.error(`bridge: ${op} failed outside the contract`, err);
        return { ok: false, error: { code: 'internal', message: 'Something went wrong inside Cove. The log has the details.' } };
      })
      .then((result) => {
        inFlight -= 1;
        send(ws, { id, result }, log);
      });
  });
}

function toText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
}

function send(ws: WebSocket, frame: ReplyFrame, log: Logger): void {
  sendText(ws, JSON.stringify(frame), log);
}

function sendText(ws: WebSocket, text: string, log: Logger): void {
  if (ws.readyState !== ws.OPEN) return;
  if (ws.bufferedAmount > MAX_BUFFERED) {
    log.warn('bridge: cut off a socket that does not read its replies');
    ws.terminate();
    return;
  }
  ws.send(text);
}
