/**
 * Opens the core the way both shells run it: Electron's main process (main.ts) and the browser bridge's script
 * (scripts/bridge.ts). No Electron import here: the bridge runs in plain Node. The one place that knows how a Core is
 * put together for real use (the signed gateway directory, bundled tor, the profile directory).
 */
import { join } from 'node:path';
import { Core } from '../src/core/core';
import { DirectoryGatewaySource } from '../src/core/gateways-directory';
import type { Sink } from '../src/log/redact';
import { bundledTorDir, resourcesRoot, type ResourceContext } from '../src/platform/resources';
import type { KeySource } from '../src/store/key';

export interface OpenCoreOptions {
  /** Where the profile lives: `<userData>/profile` in Electron, the same directory for the bridge. */
  readonly profileDir: string;
  readonly shell: 'electron' | 'bridge';
  readonly version: string;
  readonly resources: ResourceContext;
  /** The OS keychain (Electron's safeStorage); none in the bridge, whose profile needs a passphrase. */
  readonly keychain?: KeySource;
  readonly logSink?: Sink;
}

export async function openCore(o: OpenCoreOptions): Promise<Core> {
  // The directory's address: none is built in yet (the network has no public home); COVE_DIRECTORY_URL sets one.
  const url = process.env.COVE_DIRECTORY_URL;
  const gateways = await DirectoryGatewaySource.open({
    resourcesDir: join(resourcesRoot(o.resources), 'directory'),
    dataDir: join(o.profileDir, 'directory'),
    ...(url === undefined || url === '' ? {} : { url }),
  });
  const core = new Core({
    profileDir: o.profileDir,
    shell: o.shell,
    version: o.version,
    gateways,
    tor: { bundledDir: bundledTorDir(o.resources) },
    ...(o.keychain === undefined ? {} : { keychain: o.keychain }),
    ...(o.logSink === undefined ? {} : { logSink: o.logSink }),
  });
  await core.start();
  return core;
}

/** The user-data directory Electron uses for an app named `cove` (app.getPath('userData')), for the bridge to share. */
export function defaultUserDataDir(env: NodeJS.ProcessEnv, platform: NodeJS.Platform, home: string): string {
  if (platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'cove');
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'cove');
  return join(env.XDG_CONFIG_HOME ?? join(home, '.config'), 'cove');
}
