/** The torrc lines of the private Tor network: what every node shares, what a client needs, the exit's policy. */

/** Testing settings every node of the network shares (also what a foreign tor needs, see `clientTorrcLines`). */
export function networkTorrcLines(dirAuthorityLines: readonly string[]): string[] {
  return [
    'TestingTorNetwork 1',
    'AssumeReachable 1',
    'PathsNeededToBuildCircuits 0.25',
    'UseMicrodescriptors 0',
    // Fetch directory info from the authorities, which always have it, rather than from a relay's cache, which can
    // lag behind a fresh consensus (a failed descriptor fetch is only retried after ~10 s).
    'FetchDirInfoEarly 1',
    'GeoIPFile ""',
    'GeoIPv6File ""',
    ...dirAuthorityLines,
  ];
}

/**
 * The torrc lines a client tor needs to join the network (its DataDirectory, SocksPort, ControlPort and Log lines are
 * the caller's). Give these to the app's own tor to have it bootstrap against the rig instead of the real Tor network.
 * Keep `UseMicrodescriptors 0`: the exit's policy summary (which microdescriptor clients go by) reads "reject 1-65535",
 * since it only counts public addresses, so such a client would find no exit for 127.0.0.0/8.
 */
export function clientTorrcLines(network: { dirAuthorityLines: readonly string[] }): string[] {
  return networkTorrcLines(network.dirAuthorityLines);
}

/**
 * The exit reaches 127.0.0.0/8 and nothing else: every other IPv4 block is rejected line by line (IPv6 is off), and
 * only then comes `accept *4:*`. The plain `accept 127.0.0.0/8:*` + `reject *:*` does not work for clients: tor 0.4.9
 * judges an exit for a stream to an IP literal as if the address were unknown (connection_ap_can_use_exit() compares
 * tor_addr_parse()'s result, an address family, with 0), so an exit that rejects "most" addresses is never picked,
 * and streams to 127.0.0.2 wait forever while tor builds hundreds of doomed circuits. (127.0.0.1 happens to work:
 * the relays live there, so tor uses one as an "exit enclave".) Rejecting the rest explicitly before an accept-all
 * reads as "probably accepted" to that check, while the exit itself still matches the real address exactly.
 */
export const EXIT_POLICY: readonly string[] = [
  'ExitPolicy accept 127.0.0.0/8:*',
  ...['0.0.0.0/2', '64.0.0.0/3', '96.0.0.0/4', '112.0.0.0/5', '120.0.0.0/6', '124.0.0.0/7', '126.0.0.0/8', '128.0.0.0/1']
    .map((block) => `ExitPolicy reject ${block}:*`),
  'ExitPolicy accept *4:*',
  'ExitPolicy reject *:*',
];

export const AUTHORITY_LINES: readonly string[] = [
  'AuthoritativeDirectory 1',
  'V3AuthoritativeDirectory 1',
  // The voting schedule as short as tor allows (VoteDelay + DistDelay must stay below the interval).
  'TestingV3AuthInitialVotingInterval 5',
  'TestingV3AuthInitialVoteDelay 2',
  'TestingV3AuthInitialDistDelay 2',
  'V3AuthVotingInterval 10',
  'V3AuthVoteDelay 2',
  'V3AuthDistDelay 2',
  'V3AuthNIntervalsValid 2',
  // So few relays would not earn these flags by themselves.
  'TestingDirAuthVoteExit *',
  'TestingDirAuthVoteGuard *',
  'TestingDirAuthVoteHSDir *',
  'TestingMinExitFlagThreshold 0',
  'ExitPolicy reject *:*',
];
