/**
 * Cove in a browser: opens the real core and serves the UI through the browser bridge (src/bridge/server.ts) on
 * 127.0.0.1 until Ctrl-C. `npm start` runs it (through tsx) where Electron cannot start; it can also be run alone:
 *
 *   node_modules/.bin/tsx scripts/bridge.ts [--profile DIR] [--port N] [--renderer DIR]
 *
 * The profile is the desktop app's (`<userData>/profile`, or $COVE_PROFILE_DIR). The bridge has no OS keychain: a
 * profile made in the desktop app with the keychain cannot be opened here; a passphrase profile can.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startBridge } from '../src/bridge/server';
import { consoleSink, Logger } from '../src/log/redact';
import { defaultUserDataDir, openCore } from '../main/open-core';

const root = join(import.meta.dirname, '..');
const { values } = parseArgs({
  options: { profile: { type: 'string' }, port: { type: 'string' }, renderer: { type: 'string' } },
  strict: true,
});
const port = values.port === undefined ? 0 : Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error('Cove: --port takes a port number (0 for any free one).');
  process.exit(2);
}
const profileDir = values.profile ?? process.env.COVE_PROFILE_DIR ?? join(defaultUserDataDir(process.env, process.platform, homedir()), 'profile');
const rendererDir = values.renderer ?? join(root, 'renderer', 'dist');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
const log = new Logger('bridge', consoleSink);

try {
  const core = await openCore({
    profileDir,
    shell: 'bridge',
    version,
    resources: { platform: process.platform, arch: process.arch, isPackaged: false, resourcesPath: '', appRoot: root },
    logSink: consoleSink,
  });
  const bridge = await startBridge({ service: core, rendererDir, port, log });
  console.log(`Cove is ready in your browser: ${bridge.url}`);
  console.log('Keep this link to yourself: it opens your profile. Ctrl-C stops Cove.');

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void bridge
      .close()
      .then(() => core.close())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          log.error('Cove did not stop cleanly', err);
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} catch (err) {
  console.error(`Cove could not start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
