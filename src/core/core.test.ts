// The core's privacy modes fail closed: a SOCKS5 proxy given by name (Cove never looks a proxy's name up) cannot be
// set up, so SOCKS5 mode stays in force refusing every connection, with the reason; nothing goes out directly.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dispatch } from '../api/dispatch';
import { Core } from './core';
import { StaticGatewaySource } from './gateways';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0)) await f();
});

async function openCore(): Promise<Core> {
  const dir = await mkdtemp(join(tmpdir(), 'cove-core-'));
  const core = new Core({ profileDir: dir, shell: 'bridge', version: 'test', kdf: { N: 2 ** 14, r: 8, p: 1 }, gateways: new StaticGatewaySource([]) });
  cleanup.push(async () => {
    await core.close();
    await rm(dir, { recursive: true, force: true });
  });
  const created = await dispatch(core.handlers, 'profileCreate', { protection: 'passphrase', passphrase: 'a passphrase for tests' });
  expect(created.ok).toBe(true);
  return core;
}

describe('core: privacy modes', () => {
  it('a mode that cannot be set up stays in force and refuses connections, saying why; no direct fallback', async () => {
    const core = await openCore();
    const status = await core.handlers.modeSet({ mode: 'socks5', socks5: { host: 'proxy.example', port: 1080 } });
    expect(status).toMatchObject({ mode: 'socks5', phase: 'failed', error: { code: 'invalid-target' } });
    expect(await core.handlers.modeGet({})).toMatchObject({ mode: 'socks5', phase: 'failed' });
    // A connection attempt (the sign-up form of a gateway on loopback) is refused by the closed mode itself.
    const form = await dispatch(core.handlers, 'registrationForm', { domain: 'a.test', endpoints: [{ host: '127.0.0.1', port: 1, kind: 'clearnet' }] });
    expect(form).toMatchObject({ ok: false, error: { code: 'xmpp-transport-down' } });
    expect((await core.handlers.connections({})).connections).toEqual([]);
    // A good mode afterwards clears the failure.
    expect(await core.handlers.modeSet({ mode: 'direct' })).toMatchObject({ mode: 'direct', phase: 'ready' });
  });
});
