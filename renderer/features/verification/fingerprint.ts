/** How fingerprints are shown and shared: groups of four hex digits, and the OPENPGP4FPR: URI other clients scan. */

/** "ABCD1234…" → ["ABCD", "1234", …]: easier to read aloud and to compare. */
export function fingerprintGroups(fingerprint: string): string[] {
  return fingerprint.toUpperCase().match(/[0-9A-F]{1,4}/g) ?? [];
}

/** The text of a fingerprint QR code: the OPENPGP4FPR: scheme that OpenKeychain and XMPP clients read. */
export function fingerprintUri(fingerprint: string): string {
  return `OPENPGP4FPR:${fingerprint.toUpperCase()}`;
}
