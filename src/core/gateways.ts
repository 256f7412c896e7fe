/**
 * Where the core gets the gateways to offer: the signed directory (src/directory/) through the current privacy
 * mode, or a fixed list (a self-hosted setup, tests). The core adds what it knows of each gateway's health.
 */
import type { Gateways } from '../api/schemas';
import type { Transport } from '../net/transport';

export type Health = 'up' | 'down' | 'unknown';

export interface GatewaySource {
  /** The gateways known now (the last good directory), with a random healthy suggestion. */
  list(health: ReadonlyMap<string, Health>): Promise<Gateways>;
  /** Fetches the directory again through `transport` (the privacy mode in force); keeps the last good copy. */
  refresh(transport: Transport, health: ReadonlyMap<string, Health>): Promise<Gateways>;
  /** Domains the directory revoked. */
  revoked(): ReadonlySet<string>;
}

type GatewayEntry = Gateways['gateways'][number];

/** Picks uniformly at random among healthy (else unknown), not revoked gateways: people spread across servers. */
export function suggest(gateways: readonly GatewayEntry[], random: () => number = Math.random): string | null {
  const open = gateways.filter((g) => !g.revoked);
  const up = open.filter((g) => g.health === 'up');
  const pool = up.length > 0 ? up : open.filter((g) => g.health === 'unknown');
  if (pool.length === 0) return null;
  return pool[Math.min(pool.length - 1, Math.floor(random() * pool.length))]?.domain ?? null;
}

/** A fixed list of gateways (no directory): a self-hosted network or the test rig. */
export class StaticGatewaySource implements GatewaySource {
  constructor(
    private readonly gateways: readonly Omit<GatewayEntry, 'health' | 'revoked'>[],
    private readonly random: () => number = Math.random,
  ) {}

  list(health: ReadonlyMap<string, Health>): Promise<Gateways> {
    const gateways = this.gateways.map((g) => ({ ...g, health: health.get(g.domain) ?? 'unknown', revoked: false }));
    return Promise.resolve({ gateways, suggested: suggest(gateways, this.random), serial: null, refreshedAt: null });
  }

  refresh(_transport: Transport, health: ReadonlyMap<string, Health>): Promise<Gateways> {
    return this.list(health);
  }

  revoked(): ReadonlySet<string> {
    return new Set();
  }
}
