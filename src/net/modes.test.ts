import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectTransport } from './direct';
import { TransportDownError } from './errors';
import { ModeManager } from './modes';
import { ConnectionRegistry } from './registry';
import type { ConnectOptions, Target } from './transport';

let server: Server;
let port = 0;
beforeAll(async () => {
  server = createServer((s) => s.on('error', () => undefined));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  if (a === null || typeof a === 'string') throw new Error('no port');
  port = a.port;
});
afterAll(() => {
  server.close();
});

/** A real direct transport whose connects take `delayMs` longer, to catch a switch in the middle of one. */
class SlowDirect extends DirectTransport {
  constructor(private readonly delayMs: number) {
    super();
  }
  override async connect(target: Target, options: ConnectOptions = {}): Promise<Socket> {
    const s = await super.connect(target, options);
    await new Promise((r) => setTimeout(r, this.delayMs));
    return s;
  }
}

describe('ModeManager', () => {
  it('closes every connection of the old mode, and refuses while switching', async () => {
    const registry = new ConnectionRegistry();
    const modes = new ModeManager(registry, new DirectTransport());
    const a = await modes.connect({ host: '127.0.0.1', port });
    const closed = new Promise((r) => a.once('close', r));
    const phases: string[] = [];
    const duringSwitch: Promise<unknown>[] = [];
    modes.events.on('state', (s) => {
      phases.push(s.phase);
      if (s.phase === 'switching') duringSwitch.push(modes.connect({ host: '127.0.0.1', port }).catch((e: unknown) => e));
    });
    await modes.switchTo(new DirectTransport());
    await closed;
    expect(await Promise.all(duringSwitch)).toEqual([expect.any(TransportDownError)]);
    expect(phases).toEqual(['switching', 'ready']);
    expect(registry.size).toBe(0);
    (await modes.connect({ host: '127.0.0.1', port })).destroy();
    registry.dispose();
  });

  it('never hands out a connection that finished setting up after a switch began', async () => {
    const registry = new ConnectionRegistry();
    const modes = new ModeManager(registry, new SlowDirect(300));
    const pending = modes.connect({ host: '127.0.0.1', port });
    await new Promise((r) => setTimeout(r, 50));
    await modes.switchTo(new DirectTransport());
    await expect(pending).rejects.toThrow(/privacy mode changed/);
    registry.dispose();
  });
});
