/**
 * What a shell (Electron's IPC in main/, or the browser bridge in src/bridge/) needs from the core: the contract's
 * handlers and its events. Both shells validate every call with dispatch() and every event with EventSchema before
 * it crosses to the UI, so a service only has to implement the contract.
 */
import type { CoveEvent, Handlers } from './contract';

export interface CoveService {
  readonly handlers: Handlers;
  /** Calls `listener` for every event of the core; returns the function that stops it. */
  subscribe(listener: (event: CoveEvent) => void): () => void;
}
