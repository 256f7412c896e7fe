/**
 * Checks of the SOCKS5 form, before anything reaches the core (which checks again). The proxy must be given as an IP
 * address: Cove never looks up the proxy's own name, since that look-up would leave outside the proxy (a DNS leak).
 */

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIpv4(text: string): boolean {
  return IPV4.test(text);
}

/** RFC 4291 text forms, with an embedded IPv4 tail allowed; no zone id. */
export function isIpv6(text: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || !text.includes(':')) return false;
  let head = text;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    if (!isIpv4(tail)) return false;
    head = text.slice(0, lastColon + 1) + '0:0';
  }
  const halves = head.split('::');
  if (halves.length > 2) return false;
  const groups = (s: string): string[] | undefined => {
    if (s === '') return [];
    const parts = s.split(':');
    return parts.every((p) => /^[0-9a-fA-F]{1,4}$/.test(p)) ? parts : undefined;
  };
  const left = groups(halves[0] ?? '');
  const right = halves.length === 2 ? groups(halves[1] ?? '') : [];
  if (left === undefined || right === undefined) return false;
  const count = left.length + right.length;
  return halves.length === 2 ? count <= 7 : count === 8;
}

/** The host as the core takes it: brackets around an IPv6 address are dropped. */
export function normaliseHost(text: string): string {
  const t = text.trim();
  return t.startsWith('[') && t.endsWith(']') ? t.slice(1, -1) : t;
}

export interface Socks5Fields {
  host: string;
  port: string;
  username: string;
  password: string;
}

export type Socks5Errors = Partial<Record<keyof Socks5Fields, string>>;

export const NOT_AN_IP =
  'Enter the proxy’s IP address, like 127.0.0.1 or ::1. Cove does not look up a proxy’s name: that look-up would go around the proxy and tell your network where you connect (a DNS leak).';

export function checkSocks5(f: Socks5Fields): Socks5Errors {
  const errors: Socks5Errors = {};
  const host = normaliseHost(f.host);
  if (host === '') errors.host = 'Enter the proxy’s IP address.';
  else if (!isIpv4(host) && !isIpv6(host)) errors.host = NOT_AN_IP;
  const port = f.port.trim();
  if (port === '') errors.port = 'Enter the proxy’s port, a number from 1 to 65535.';
  else if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65_535) errors.port = 'The port is a number from 1 to 65535.';
  if (new TextEncoder().encode(f.username).length > 255) errors.username = 'The user name is at most 255 bytes long.';
  if (new TextEncoder().encode(f.password).length > 255) errors.password = 'The password is at most 255 bytes long.';
  else if (f.password !== '' && f.username === '') errors.username = 'Enter the user name that goes with the password.';
  return errors;
}
