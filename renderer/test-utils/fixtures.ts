/** Typed values for component tests (what the core would answer); tests change what they need with spreads. */
import type { AccountView, AppInfo, Gateways } from '../../src/api/contract';

export const FP = '0123456789ABCDEF0123456789ABCDEF01234567';

export function appInfo(patch: Partial<AppInfo> = {}): AppInfo {
  return { version: '0.1.0', platform: 'linux', shell: 'electron', profile: 'none', keychain: false, ...patch };
}

export function gateways(patch: Partial<Gateways> = {}): Gateways {
  return {
    gateways: [
      { domain: 'alpha.example', operator: 'Alpha Collective', health: 'up', revoked: false, endpoints: [{ host: 'xmpp.alpha.example', port: 5222, kind: 'clearnet' }] },
      {
        domain: 'beta.example',
        operator: 'Beta Association',
        health: 'up',
        revoked: false,
        endpoints: [
          { host: 'xmpp.beta.example', port: 5222, kind: 'clearnet' },
          { host: 'betaxyzbetaxyzbetaxyzbetaxyzbetaxyzbetaxyzbetaxyzbetaxy.onion', port: 5222, kind: 'onion' },
        ],
      },
      { domain: 'gamma.example', operator: 'Gamma Ltd', health: 'down', revoked: false, endpoints: [{ host: 'gamma.example', port: 5223, kind: 'clearnet' }] },
      { domain: 'revoked.example', operator: 'Gone Away', health: 'up', revoked: true, endpoints: [{ host: 'revoked.example', port: 5222, kind: 'clearnet' }] },
    ],
    suggested: 'beta.example',
    serial: 42,
    refreshedAt: Date.UTC(2025, 0, 2, 3, 4),
    ...patch,
  };
}

export function account(patch: Partial<AccountView> = {}): AccountView {
  return {
    id: 1,
    jid: 'ada@beta.example',
    label: 'Account 1',
    state: 'online',
    fingerprint: FP,
    endpoints: [
      { host: 'xmpp.beta.example', port: 5222, kind: 'clearnet' },
      { host: 'betaxyzbetaxyzbetaxyzbetaxyzbetaxyzbetaxyzbetaxyzbetaxy.onion', port: 5222, kind: 'onion' },
      { host: 'backup.beta.example', port: 5223, kind: 'clearnet' },
    ],
    contactsOnGateway: 3,
    contacts: 12,
    gatewayRevoked: false,
    ...patch,
  };
}

/** A promise with its resolve/reject outside, to hold a fake operation open while the test looks at the UI. */
export function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
