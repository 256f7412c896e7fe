/**
 * Where the core gets the gateways to offer: the signed directory (src/directory/) through the current privacy
 * mode, or a fixed list (a self-hosted setup, tests). The core adds what it knows of each gateway's health.
 */
import type { Gateways } from '../api/schemas';
import { healthiest, secureRandomIndex, type GatewayHealth, type RandomIndex } from '../directory/spread';
import type { Transport } from '../net/transport';

export type Health = GatewayHealth;

export interface GatewaySource {
  /** The gateways known now (the last good directory), with a random healthy suggestion. */
  list(health: ReadonlyMap<string, Health>): Promise<Gateways>;
  /** Fetches the directory again through `transport` (the privacy mode in force); keeps the last good copy. */
  refresh(transport: Transport, health: ReadonlyMap<string, Health>): Promise<Gateways>;
  /** Domains the directory revoked. */
  revoked(): ReadonlySet<string>;
}

type GatewayEntry = Gateways['gateways'][number];

/** Picks at random among the healthy, not revoked gateways (the directory's rule, spread.ts): people spread out. */
export function suggest(gateways: readonly GatewayEntry[], random: RandomIndex = secureRandomIndex): string | null {
  const pool = healthiest(
    gateways.filter((g) => !g.revoked),
    (g) => g.health,
  );
  return pool.length === 0 ? null : (pool[random(pool.length)]?.domain ?? null);
}

/** A fixed list of gateways (no directory): a self-hosted network or the test rig. */
export class StaticGatewaySource implements GatewaySource {
  constructor(
    private readonly gateways: readonly Omit<GatewayEntry, 'health' | 'revoked'>[],
    private readonly random: RandomIndex = secureRandomIndex,
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
