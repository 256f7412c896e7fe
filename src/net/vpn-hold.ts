/**
 * Kernel sockets the kill switch keeps open. Closing a TCP socket sends a FIN (or an RST); while the tunnel is down
 * the kernel routes it — like any retransmission — out of the physical interface, from the tunnel's address to the
 * server. So when the kill switch engages, a socket is destroyed for its user but its libuv handle (the file
 * descriptor) is taken away first and kept, reading stopped, until closing it is harmless:
 * - the interface is back, up, has the socket's address, and the route to its peer goes through it (FIN in the tunnel);
 * - or the interface is up with other addresses only (the kernel cannot route from an address it no longer has);
 * - or VPN mode was turned off and the interface is gone;
 * - or it has been held for `maxHoldMs` (10 min): then it is closed whatever happens.
 * This reaches into Node's internal `socket._handle` (stable from Node 12 to 22, Electron's too); when a socket has no
 * such handle it is left to the plain destroy().
 */
import type { Socket } from 'node:net';
import type { InterfaceInfo } from './vpn-interfaces';
import type { RouteVerdict } from './vpn-route';

interface StreamHandle {
  readStop(): number;
  close(callback?: () => void): void;
}

interface Held {
  handle: StreamHandle;
  local: string;
  remote: string;
  since: number;
}

function isStreamHandle(value: unknown): value is StreamHandle {
  if (typeof value !== 'object' || value === null) return false;
  const h = value as Partial<Record<keyof StreamHandle, unknown>>;
  return typeof h.readStop === 'function' && typeof h.close === 'function';
}

export class HeldSockets {
  private readonly held = new Set<Held>();
  private checking = false;
  private drainTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly iface: string,
    private readonly routeCheck: (iface: string, destination: string, source: string) => Promise<RouteVerdict>,
    private readonly maxHoldMs = 10 * 60_000,
  ) {}

  get size(): number {
    return this.held.size;
  }

  /** Takes the socket's handle so that its destroy() closes nothing in the kernel. Call it right before destroy(). */
  take(socket: Socket, local: string, remote: string): boolean {
    const carrier = socket as unknown as { _handle?: unknown };
    const handle = carrier._handle;
    if (!isStreamHandle(handle)) return false;
    handle.readStop();
    carrier._handle = null;
    this.held.add({ handle, local, remote, since: Date.now() });
    return true;
  }

  /** Closes the held sockets for which that is now harmless (see the file's comment). Never throws. */
  release(info: InterfaceInfo | undefined, modeOff: boolean): void {
    if (this.held.size === 0 || this.checking) return;
    const now = Date.now();
    const toCheck: Held[] = [];
    for (const h of this.held) {
      if (now - h.since > this.maxHoldMs) this.close(h);
      else if (info === undefined) {
        if (modeOff) this.close(h);
      } else if (info.up && info.addresses.length > 0) {
        if (info.addresses.some((a) => a.address === h.local)) toCheck.push(h);
        else this.close(h);
      }
    }
    if (toCheck.length === 0) return;
    this.checking = true;
    void Promise.all(
      toCheck.map(async (h) => {
        const verdict = h.remote === '' || h.local === '' ? { ok: false } : await this.routeCheck(this.iface, h.remote, h.local);
        if (verdict.ok) this.close(h);
      }),
    )
      .catch(() => undefined)
      .finally(() => {
        this.checking = false;
      });
  }

  /** After dispose(): keeps looking, once a second, until every held socket is closed. */
  drainAfterDispose(read: () => InterfaceInfo | undefined): void {
    if (this.drainTimer !== undefined || this.held.size === 0) return;
    this.drainTimer = setInterval(() => {
      this.release(read(), true);
      if (this.held.size === 0 && this.drainTimer !== undefined) {
        clearInterval(this.drainTimer);
        this.drainTimer = undefined;
      }
    }, 1000);
    this.drainTimer.unref();
  }

  private close(h: Held): void {
    if (!this.held.delete(h)) return;
    h.handle.close();
  }
}
