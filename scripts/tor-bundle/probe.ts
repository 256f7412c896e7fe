/**
 * Runs a tor binary with `--version` (as Cove would run it: with the bundle's LD_LIBRARY_PATH) and checks what it
 * prints against the minimum pinned in resources/tor/versions.json. Only possible when the bundle is for this machine.
 */
import { spawnSync } from 'node:child_process';
import { bundledTorRuntime } from '../../src/platform/resources';
import { compareTorVersions, formatTorVersion, MINIMUM_TOR_VERSION, parseTorVersion } from '../../src/tor/version';
import { ArchiveError } from './errors';

export interface ProbedVersion {
  /** tor's first line, e.g. "Tor version 0.4.9.11." */
  line: string;
  version: string;
}

export function probeTorVersion(torPath: string, bundleDir: string): ProbedVersion {
  const env = bundledTorRuntime(bundleDir, process.platform, process.env, () => false).env;
  const run = spawnSync(torPath, ['--version'], { env, encoding: 'utf8', timeout: 15_000 });
  const line = (run.stdout.split('\n').find((l) => l.trim() !== '') ?? '').trim();
  const parsed = parseTorVersion(line);
  if (run.error !== undefined || run.status !== 0 || parsed === undefined) {
    const why = run.error?.message ?? (run.stderr.trim().split('\n')[0] || `exit ${String(run.status)}`);
    throw new ArchiveError('tor-does-not-run', `${torPath} --version did not report a version (${why}${line === '' ? '' : `; printed "${line}"`}).`);
  }
  if (compareTorVersions(parsed, MINIMUM_TOR_VERSION) < 0) {
    throw new ArchiveError('tor-too-old', `${torPath} is tor ${formatTorVersion(parsed)}, older than the minimum ${formatTorVersion(MINIMUM_TOR_VERSION)} pinned in resources/tor/versions.json.`);
  }
  return { line, version: formatTorVersion(parsed) };
}
