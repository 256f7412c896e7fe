/**
 * Does the kernel really send a packet from the tunnel's address to this destination through the tunnel? An interface
 * that is up with an address is not enough: a route via the tunnel is deleted when its link goes down and is not put
 * back when it comes up again, and a socket bound to the tunnel's address then leaves by the default route. Node has
 * no netlink, so this asks iproute2 (`ip -j route get DST from SRC`), which applies the policy rules too (wg-quick and
 * vpn-enforce.ts put the tunnel's routes in their own table). Called once per connection, never per packet.
 */
import { execFile } from 'node:child_process';

export type RouteVerdict =
  | { ok: true; dev: string }
  /** `why` is for a person and names no address. */
  | { ok: false; why: string };

export interface RouteCheckOptions {
  /** Run `ip` inside this network namespace (`ip -n NS`); for tests and for users who run Cove in one. */
  netns?: string;
  timeoutMs?: number;
  /** The iproute2 binary; `ip` on PATH by default. */
  ipCommand?: string;
}

interface RouteGetEntry {
  type?: unknown;
  dev?: unknown;
}

/** Parses `ip -j route get` output: the first entry's type ("unicast" when absent) and device. */
export function parseRouteGet(json: string): { type: string; dev: string | undefined } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length === 0) return undefined;
  const first = parsed[0] as RouteGetEntry | null;
  if (first === null || typeof first !== 'object') return undefined;
  return {
    type: typeof first.type === 'string' ? first.type : 'unicast',
    dev: typeof first.dev === 'string' ? first.dev : undefined,
  };
}

/** The verdict for a route lookup result: only a unicast route out of the tunnel, or local delivery, may carry. */
export function judgeRoute(iface: string, route: { type: string; dev: string | undefined } | undefined): RouteVerdict {
  if (route === undefined) return { ok: false, why: 'the route to the server could not be checked' };
  if (route.type === 'local') return { ok: true, dev: route.dev ?? 'lo' };
  if (route.type !== 'unicast') return { ok: false, why: `there is no route to the server (${route.type})` };
  if (route.dev !== iface) {
    return { ok: false, why: `the route to the server goes through ${route.dev ?? 'another interface'}, not ${iface}` };
  }
  return { ok: true, dev: iface };
}

/** Maps the words of `ip route get` failures ("RTNETLINK answers: No route to host") to a verdict. */
export function judgeRouteError(stderr: string): RouteVerdict {
  const line = stderr.trim().split('\n').pop() ?? '';
  const detail = line.replace(/^RTNETLINK answers:\s*/i, '').replace(/^Error:\s*/i, '').trim();
  return { ok: false, why: `there is no route to the server through the tunnel (${detail.toLowerCase() || 'no answer'})` };
}

/** Asks the kernel which way a packet from `source` to `destination` (both IP literals) would go. */
export function checkRoute(iface: string, destination: string, source: string, options: RouteCheckOptions = {}): Promise<RouteVerdict> {
  const args = [...(options.netns === undefined ? [] : ['-n', options.netns]), '-j', 'route', 'get', destination, 'from', source];
  return new Promise((resolve) => {
    execFile(options.ipCommand ?? 'ip', args, { timeout: options.timeoutMs ?? 3000, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err !== null) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') {
          resolve({ ok: false, why: 'the route through the tunnel cannot be checked: the ip command (iproute2) is missing' });
        } else if (err.killed) {
          resolve({ ok: false, why: 'the route check timed out' });
        } else {
          resolve(judgeRouteError(stderr));
        }
        return;
      }
      resolve(judgeRoute(iface, parseRouteGet(stdout)));
    });
  });
}
