/**
 * tor's version: read from what tor reports (`GETINFO version` over the control port, or the first line of
 * `tor --version`), compared with the oldest version Cove accepts without a warning, pinned in
 * resources/tor/versions.json (`minimumTor`), next to the Expert Bundle version the packaging script fetches.
 *
 * Tor's version format (tor's doc/version-spec): MAJOR.MINOR.MICRO[.PATCHLEVEL][-STATUS_TAG][ (EXTRA_INFO)], e.g.
 * "0.4.8.13", "0.4.9.1-alpha (git-a1b2c3d4e5f60718)", "0.4.9.2-alpha-dev". Versions compare by their four numbers;
 * at equal numbers a "-dev" build (made before that release) is older than the release; other tags (alpha, rc)
 * carry no order of their own, since tor never reuses a number across them.
 */
import pins from '../../resources/tor/versions.json';

export interface TorVersion {
  major: number;
  minor: number;
  micro: number;
  patch: number;
  /** The status tag without its dash ("alpha", "rc", "alpha-dev"), if any. */
  tag?: string;
}

const VERSION = /^(?:Tor version\s+)?(\d{1,5})\.(\d{1,5})\.(\d{1,5})(?:\.(\d{1,5}))?(?:-([0-9A-Za-z]+(?:-[0-9A-Za-z]+)*))?(?=$|\s|\(|\.(?:$|\s))/;

/** Parses tor's version string; undefined when it is not one. */
export function parseTorVersion(text: string): TorVersion | undefined {
  const m = VERSION.exec(text.trim());
  if (m === null) return undefined;
  const [, major, minor, micro, patch, tag] = m;
  return {
    major: Number(major),
    minor: Number(minor),
    micro: Number(micro),
    patch: patch === undefined ? 0 : Number(patch),
    ...(tag === undefined ? {} : { tag }),
  };
}

export function formatTorVersion(v: TorVersion): string {
  return `${v.major}.${v.minor}.${v.micro}.${v.patch}${v.tag === undefined ? '' : `-${v.tag}`}`;
}

const isDev = (v: TorVersion): boolean => v.tag?.split('-').includes('dev') === true;

/** Negative when a is older than b, positive when newer, 0 when the same release. */
export function compareTorVersions(a: TorVersion, b: TorVersion): number {
  const order = [a.major - b.major, a.minor - b.minor, a.micro - b.micro, a.patch - b.patch].find((d) => d !== 0);
  if (order !== undefined) return Math.sign(order);
  return Number(isDev(b)) - Number(isDev(a));
}

function pinnedMinimum(): TorVersion {
  const v = parseTorVersion(pins.minimumTor);
  if (v === undefined) throw new Error(`resources/tor/versions.json: minimumTor "${pins.minimumTor}" is not a tor version`);
  return v;
}

/** The oldest tor Cove runs without warning (resources/tor/versions.json). */
export const MINIMUM_TOR_VERSION: TorVersion = pinnedMinimum();

export interface TorVersionStatus {
  /** What tor reported, as it reported it; undefined before Cove has asked. */
  reported: string | undefined;
  /** The version understood from it ("0.4.9.11", "0.4.9.1-alpha"), undefined if none was reported or it could not be read. */
  version: string | undefined;
  /** The minimum it was compared with. */
  minimum: string;
  /** True only for a version read and found older than the minimum. */
  outdated: boolean;
  /** A sentence for the user when the version is outdated or could not be read. */
  warning: string | undefined;
}

/** What the app shows: the version tor runs and whether it is older than the pinned minimum. */
export function torVersionStatus(reported: string | undefined, minimum: TorVersion = MINIMUM_TOR_VERSION): TorVersionStatus {
  const min = formatTorVersion(minimum);
  if (reported === undefined) return { reported, version: undefined, minimum: min, outdated: false, warning: undefined };
  const parsed = parseTorVersion(reported);
  if (parsed === undefined) {
    return { reported, version: undefined, minimum: min, outdated: false, warning: `Cove could not read the version of the tor it runs ("${reported.slice(0, 60)}").` };
  }
  const outdated = compareTorVersions(parsed, minimum) < 0;
  const version = formatTorVersion(parsed);
  return {
    reported,
    version,
    minimum: min,
    outdated,
    warning: outdated ? `Tor ${version} is older than ${min}, the oldest version Cove supports: update tor (or Cove, which ships its own).` : undefined,
  };
}
