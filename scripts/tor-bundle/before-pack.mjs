// electron-builder's beforePack hook (electron-builder.yml): refuses to package an installer without the tor bundle
// for its platform and arch in resources/tor/<platform>-<arch>/ (filled by scripts/fetch-tor.ts), since
// extraResources only warns when its source is missing. A Linux build may go without one on purpose (the app then
// uses the system's tor): set COVE_LINUX_SYSTEM_TOR=1.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// electron-builder's Arch enum (builder-util): ia32 = 0, x64 = 1, armv7l = 2, arm64 = 3, universal = 4.
const ARCHS = ['ia32', 'x64', 'armv7l', 'arm64', 'universal'];

/**
 * @param {string} projectDir
 * @param {string} platform electronPlatformName: linux, darwin, win32 (mas is darwin)
 * @param {string} arch
 * @param {Record<string, string | undefined>} env
 * @returns {{ ok: boolean, message: string }}
 */
export function checkTorBundle(projectDir, platform, arch, env) {
  const os = platform === 'mas' ? 'darwin' : platform;
  if (arch === 'universal') return { ok: false, message: 'Cove ships one tor per architecture: build darwin x64 and arm64 separately, not universal.' };
  const dir = join(projectDir, 'resources', 'tor', `${os}-${arch}`);
  const tor = join(dir, os === 'win32' ? 'tor.exe' : 'tor');
  const provenance = join(dir, 'BUNDLE.json');
  if (existsSync(tor) && existsSync(provenance)) {
    let target;
    try {
      target = JSON.parse(readFileSync(provenance, 'utf8')).target;
    } catch {
      return { ok: false, message: `${provenance} is unreadable: run scripts/fetch-tor.ts again.` };
    }
    if (target !== `${os}-${arch}`) return { ok: false, message: `${dir} holds a bundle for ${String(target)}, not ${os}-${arch}: run scripts/fetch-tor.ts --platform ${os}-${arch}.` };
    return { ok: true, message: `bundled tor: ${dir}` };
  }
  if (os === 'linux' && env.COVE_LINUX_SYSTEM_TOR === '1') {
    return { ok: true, message: `no bundled tor in ${dir}: this Linux build will use the system's tor (COVE_LINUX_SYSTEM_TOR=1)` };
  }
  return {
    ok: false,
    message: `No tor bundle in ${dir}: run "npx tsx scripts/fetch-tor.ts --platform ${os}-${arch}"${os === 'linux' ? ' (or --from-system, or set COVE_LINUX_SYSTEM_TOR=1 to rely on the system tor)' : ''} first (PACKAGING.md).`,
  };
}

/** @param {{ electronPlatformName: string, arch: number, packager: { projectDir: string } }} context */
export function beforePack(context) {
  const arch = ARCHS[context.arch] ?? String(context.arch);
  const result = checkTorBundle(context.packager.projectDir, context.electronPlatformName, arch, process.env);
  if (!result.ok) throw new Error(result.message);
  console.log(`  • ${result.message}`);
}

export default beforePack;
