/**
 * The gateway list from the signed directory (src/directory/): the last good copy (or the one shipped with the app)
 * and a refresh through the current privacy mode. A refresh that fails keeps the last good copy and says why.
 */
import type { Gateways } from '../api/schemas';
import { DirectoryStore } from '../directory/store';
import { refreshDirectory } from '../directory/refresh';
import { loadShipped } from '../directory/shipped';
import type { RandomIndex } from '../directory/spread';
import type { Logger } from '../log/redact';
import type { Transport } from '../net/transport';
import { suggest, type GatewaySource, type Health } from './gateways';

export interface DirectorySourceOptions {
  /** resources/directory (network keys, the shipped directory). */
  readonly resourcesDir: string;
  /** Where the last good copy is kept (the profile directory). */
  readonly dataDir: string;
  /** The directory's address (http/https; default: none — only the shipped copy). */
  readonly url?: string;
  readonly ca?: string;
  readonly logger?: Logger;
  readonly random?: RandomIndex;
}

export class DirectoryGatewaySource implements GatewaySource {
  private refreshedAt: number | null = null;
  private problem: string | undefined;

  private constructor(
    private readonly store: DirectoryStore,
    private readonly o: DirectorySourceOptions,
  ) {}

  static async open(o: DirectorySourceOptions): Promise<DirectoryGatewaySource> {
    const { network, shipped } = await loadShipped(o.resourcesDir);
    const store = new DirectoryStore({ dir: o.dataDir, network, shipped, ...(o.logger === undefined ? {} : { logger: o.logger }) });
    await store.load();
    return new DirectoryGatewaySource(store, o);
  }

  list(health: ReadonlyMap<string, Health>): Promise<Gateways> {
    const current = this.store.current();
    if (current === undefined) return Promise.resolve({ gateways: [], suggested: null, serial: null, refreshedAt: this.refreshedAt, problem: 'Cove has no valid server directory.' });
    const doc = current.directory.document;
    const revoked = new Set(doc.revocations.gateways.map((r) => r.domain));
    const gateways = doc.gateways.map((g) => ({
      domain: g.domain,
      endpoints: g.endpoints.map((e) => ({ host: e.host, port: e.port, kind: e.kind })),
      operator: g.operator.name,
      health: health.get(g.domain) ?? 'unknown',
      revoked: revoked.has(g.domain),
    }));
    const problem = this.problem ?? (current.expired ? 'The server directory has expired: the list may be out of date.' : undefined);
    return Promise.resolve({
      gateways,
      suggested: suggest(gateways, this.o.random),
      serial: doc.serial,
      refreshedAt: this.refreshedAt,
      ...(problem === undefined ? {} : { problem }),
    });
  }

  async refresh(transport: Transport, health: ReadonlyMap<string, Health>): Promise<Gateways> {
    if (this.o.url === undefined) {
      this.problem = 'No directory address is set: Cove uses the directory it ships with.';
      return this.list(health);
    }
    const outcome = await refreshDirectory(this.store, { transport, url: this.o.url, timeoutMs: 30_000, ...(this.o.ca === undefined ? {} : { ca: this.o.ca }) });
    if (outcome.status === 'failed') this.problem = `The directory could not be refreshed: ${outcome.error.message} Cove keeps the last good copy.`;
    else {
      this.problem = undefined;
      this.refreshedAt = Date.now();
    }
    return this.list(health);
  }

  revoked(): ReadonlySet<string> {
    const doc = this.store.current()?.directory.document;
    return new Set(doc?.revocations.gateways.map((r) => r.domain) ?? []);
  }
}
