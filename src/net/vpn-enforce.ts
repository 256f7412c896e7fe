/**
 * The kill switch enforced by the kernel (Linux, root): policy routing that sends everything FROM the tunnel's
 * address into a table of its own, which holds the routes through the tunnel and, behind them, `unreachable default`:
 *
 *   ip rule add from <tunnelAddr> lookup <table> priority <prio>
 *   ip route replace <prefix> dev <tunnel> table <table> metric 10        (default: everything through the tunnel)
 *   ip route replace unreachable default table <table> metric 4000
 *
 * When the tunnel link goes down the kernel deletes its routes; the unreachable one is then all that is left, so a
 * socket bound to the tunnel's address gets EHOSTUNREACH (connect) or its packets are dropped (retransmissions, FIN)
 * instead of leaving by the default route — even if Cove's watcher (vpn.ts) has not noticed yet. The routes through the
 * tunnel are not put back when the link comes up again: call restoreTunnelRoutes() (until then it fails closed).
 * WireGuard's own UDP packets are not affected: they are sent from the physical address. Local delivery (the `local`
 * table, rule priority 0) is not affected either.
 */
import { execFile } from 'node:child_process';
import { isIP } from 'node:net';
import { NetError } from './errors';
import { isValidInterfaceName } from './vpn-interfaces';

export class VpnEnforceError extends NetError {
  override name = 'VpnEnforceError';
  constructor(message: string, options?: ErrorOptions) {
    super('vpn-enforce-failed', message, options);
  }
}

/** "cove" in hex, as a routing table number; the rule sits before the main table's (32766) and wg-quick's. */
export const DEFAULT_ENFORCE_TABLE = 0xc0fe;
export const DEFAULT_ENFORCE_PRIORITY = 10_000;

export interface EnforceOptions {
  interfaceName: string;
  /** The tunnel's own addresses (IPv4 and/or IPv6), without prefix length. */
  addresses: readonly string[];
  /** What goes through the tunnel; default everything (0.0.0.0/0 and ::/0). */
  routes?: readonly string[];
  table?: number;
  priority?: number;
}

/** Argument lists for `ip` (without the `ip` itself). */
export interface EnforcePlan {
  interfaceName: string;
  table: number;
  /** Routes of the table, then the rules; idempotent (replace, and delete-before-add for rules). */
  apply: string[][];
  /** The routes through the tunnel alone: to run again after the tunnel link came back up. */
  tunnelRoutes: string[][];
  /** Every rule, and the table flushed. */
  remove: string[][];
}

const PREFIX = /^[0-9a-f:.]+\/\d{1,3}$/i;

export function buildEnforcePlan(options: EnforceOptions): EnforcePlan {
  const { interfaceName } = options;
  if (!isValidInterfaceName(interfaceName)) throw new VpnEnforceError('the VPN interface name is not valid');
  const table = options.table ?? DEFAULT_ENFORCE_TABLE;
  const priority = options.priority ?? DEFAULT_ENFORCE_PRIORITY;
  if (!Number.isInteger(table) || table < 1 || table > 0xfffffffe || table === 253 || table === 254 || table === 255) {
    throw new VpnEnforceError('the routing table must be a number other than the kernel’s own (253–255)');
  }
  if (!Number.isInteger(priority) || priority < 1 || priority >= 32766) {
    throw new VpnEnforceError('the rule priority must be between 1 and 32765, before the main table');
  }
  if (options.addresses.length === 0) throw new VpnEnforceError('the VPN interface has no address to protect');
  for (const a of options.addresses) {
    if (isIP(a) === 0) throw new VpnEnforceError('a tunnel address is not an IP address');
  }
  const families = new Set(options.addresses.map((a) => (isIP(a) === 6 ? 6 : 4)));
  const routes = options.routes ?? ['0.0.0.0/0', '::/0'];
  for (const r of routes) {
    if (!PREFIX.test(r) || isIP(r.split('/')[0] ?? '') === 0) throw new VpnEnforceError('a route is not an IP prefix');
  }
  const t = String(table);
  const p = String(priority);
  const tunnelRoutes: string[][] = [];
  const apply: string[][] = [];
  const remove: string[][] = [];
  for (const family of [4, 6] as const) {
    if (!families.has(family)) continue;
    const f = `-${String(family)}`;
    const mine = routes.filter((r) => (isIP(r.split('/')[0] ?? '') === 6 ? 6 : 4) === family);
    for (const r of mine) tunnelRoutes.push([f, 'route', 'replace', prefixWord(r), 'dev', interfaceName, 'table', t, 'metric', '10']);
    apply.push([f, 'route', 'replace', 'unreachable', 'default', 'table', t, 'metric', '4000']);
    remove.push([f, 'route', 'flush', 'table', t]);
  }
  apply.push(...tunnelRoutes);
  for (const a of options.addresses) {
    const f = isIP(a) === 6 ? '-6' : '-4';
    const rule = [f, 'rule', 'add', 'from', a, 'lookup', t, 'priority', p];
    apply.push([f, 'rule', 'del', 'from', a, 'lookup', t, 'priority', p], rule);
    remove.unshift([f, 'rule', 'del', 'from', a, 'lookup', t, 'priority', p]);
  }
  return { interfaceName, table, apply, tunnelRoutes, remove };
}

function prefixWord(prefix: string): string {
  return prefix === '0.0.0.0/0' || prefix === '::/0' ? 'default' : prefix;
}

export interface EnforceRunOptions {
  /** Run inside this network namespace (`ip -n NS`): for tests, and for users who run Cove in one. */
  netns?: string;
  timeoutMs?: number;
  ipCommand?: string;
}

/** Applies the plan. Root only (CAP_NET_ADMIN): anything else is refused before a command runs. */
export async function applyEnforcement(plan: EnforcePlan, options: EnforceRunOptions = {}): Promise<void> {
  requireRoot();
  for (const args of plan.apply) {
    const isRuleDelete = args[1] === 'rule' && args[2] === 'del';
    await runIp(args, options, isRuleDelete);
  }
}

/** Puts the routes through the tunnel back into the table (after the tunnel link came back up). */
export async function restoreTunnelRoutes(plan: EnforcePlan, options: EnforceRunOptions = {}): Promise<void> {
  requireRoot();
  for (const args of plan.tunnelRoutes) await runIp(args, options, false);
}

/** Removes the rules and flushes the table; what is already gone is not an error. */
export async function removeEnforcement(plan: EnforcePlan, options: EnforceRunOptions = {}): Promise<void> {
  requireRoot();
  for (const args of plan.remove) await runIp(args, options, true);
}

function requireRoot(): void {
  if (process.platform !== 'linux') throw new VpnEnforceError('kernel-enforced kill switch rules exist only on Linux');
  if (process.getuid?.() !== 0) throw new VpnEnforceError('the kernel-enforced kill switch needs administrator (root) rights');
}

function runIp(args: string[], options: EnforceRunOptions, tolerateMissing: boolean): Promise<void> {
  const full = [...(options.netns === undefined ? [] : ['-n', options.netns]), ...args];
  return new Promise((resolve, reject) => {
    execFile(options.ipCommand ?? 'ip', full, { timeout: options.timeoutMs ?? 5000, encoding: 'utf8' }, (err, _stdout, stderr) => {
      if (err === null) {
        resolve();
        return;
      }
      if (tolerateMissing && /no such|cannot find|not found|does not exist/i.test(stderr)) {
        resolve();
        return;
      }
      const detail = stderr.trim().split('\n').pop() ?? err.message;
      reject(new VpnEnforceError(`ip ${args.slice(0, 3).join(' ')} failed: ${detail}`, { cause: err }));
    });
  });
}
