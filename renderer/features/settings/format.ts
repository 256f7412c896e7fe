import type { AccountView, Endpoint } from '../../../src/api/contract';

/** "ABCD 1234 …": a fingerprint in groups of four for reading aloud and comparing. */
export function fingerprintGroups(fp: string): string {
  return (fp.match(/.{1,4}/g) ?? []).join(' ');
}

export function endpointText(e: Endpoint): string {
  const host = e.host.includes(':') ? `[${e.host}]` : e.host;
  return `${host}:${e.port}`;
}

export function kindText(e: Endpoint): string {
  return e.kind === 'onion' ? 'onion service' : 'clearnet';
}

export function stateBadge(state: AccountView['state']): { className: string; text: string } {
  switch (state) {
    case 'online':
      return { className: 'badge badge-ok', text: 'Online' };
    case 'connecting':
      return { className: 'badge badge-warn', text: 'Connecting' };
    case 'error':
      return { className: 'badge badge-danger', text: 'Problem' };
    case 'offline':
      return { className: 'badge badge-muted', text: 'Offline' };
  }
}

/** "3 of your 12 contacts share this gateway." (fewer is better for everyone: people spread across servers) */
export function gatewayShareText(a: AccountView): string {
  if (a.contacts === 0) return 'You have no contacts on this account yet.';
  const n = a.contactsOnGateway;
  return `${n} of your ${a.contacts} ${a.contacts === 1 ? 'contact shares' : 'contacts share'} this gateway.`;
}

export function timeText(ms: number): string {
  return new Date(ms).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** Moves item `index` by `delta` (−1 up, +1 down); the same array when it cannot move. */
export function moved<T>(items: readonly T[], index: number, delta: -1 | 1): T[] {
  const to = index + delta;
  if (to < 0 || to >= items.length) return [...items];
  const out = [...items];
  const a = out[index];
  const b = out[to];
  if (a === undefined || b === undefined) return out;
  out[index] = b;
  out[to] = a;
  return out;
}
