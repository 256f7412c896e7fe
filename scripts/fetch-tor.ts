#!/usr/bin/env -S npx tsx
/**
 * Fills resources/tor/<platform>-<arch>/ with the tor Cove ships (PACKAGING.md):
 *
 *   tsx scripts/fetch-tor.ts                          the Tor Expert Bundle for this machine, downloaded and verified
 *   tsx scripts/fetch-tor.ts --platform win32-x64     … for another platform (cross-packaging)
 *   tsx scripts/fetch-tor.ts --from-dir ~/Downloads   verify files fetched by hand (archive, sums file and its .asc)
 *   tsx scripts/fetch-tor.ts --from-system            Linux: copy the system's tor, obfs4/lyrebird, snowflake, geoip
 *
 * The bundle version, the signing key's fingerprint and the mirrors are pinned in resources/tor/versions.json. The
 * logic lives in scripts/tor-bundle/ (tested by test/unit/tor-bundle/).
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CoveError } from '../src/api/result';
import { UsageError } from './tor-bundle/errors';
import { fetchExpertBundle } from './tor-bundle/fetch';
import { bundleFromSystem } from './tor-bundle/from-system';
import { bundlePins, hostTarget, repoRoot } from './tor-bundle/pins';

const HELP = `Usage: tsx scripts/fetch-tor.ts [--platform <platform>-<arch>] [--from-dir <dir> | --from-system] [--dest <dir>] [--cache <dir>]
  --platform     target, as Node names it (default ${hostTarget()}): ${Object.keys(bundlePins().platforms).join(', ')}
  --from-dir     take the archive, ${bundlePins().sumsFile} and its .asc from <dir> instead of downloading
  --from-system  Linux only: copy the system's tor and transports instead of the Expert Bundle
  --dest         where to unpack (default resources/tor/<platform>-<arch>)
  --cache        download cache (default resources/tor/.cache)`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      platform: { type: 'string' },
      'from-dir': { type: 'string' },
      'from-system': { type: 'boolean', default: false },
      dest: { type: 'string' },
      cache: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const log = (line: string): void => {
    console.log(`fetch-tor: ${line}`);
  };
  const target = values.platform ?? hostTarget();
  const dest = resolve(values.dest ?? join(repoRoot, 'resources', 'tor', target));
  if (values['from-system']) {
    if (values['from-dir'] !== undefined) throw new UsageError('tor-usage', '--from-system and --from-dir exclude each other.');
    if (target !== hostTarget()) throw new UsageError('tor-usage', `--from-system copies this machine's tor (${hostTarget()}), not one for ${target}.`);
    const p = await bundleFromSystem(dest, { log });
    log(`system tor ${p.torVersion ?? '?'} → ${dest} (${String(p.files.length)} files)`);
    return;
  }
  const pins = bundlePins();
  const fromDir = values['from-dir'];
  const p = await fetchExpertBundle({
    pins,
    target,
    dest,
    source: fromDir === undefined ? { kind: 'download', cacheDir: resolve(values.cache ?? join(repoRoot, 'resources', 'tor', '.cache')) } : { kind: 'dir', dir: resolve(fromDir) },
    log,
  });
  log(`Tor Expert Bundle ${pins.version} (tor ${p.torVersion ?? `${pins.tor}, as pinned`}) → ${dest} (${String(p.files.length)} files)`);
}

main().catch((err: unknown) => {
  if (err instanceof CoveError) {
    console.error(`fetch-tor: ${err.name} [${err.code}]: ${err.message}`);
  } else {
    console.error(`fetch-tor: ${err instanceof Error ? err.message : String(err)}`);
  }
  process.exitCode = 1;
});
