import { describe, expect, it } from 'vitest';
import { buildEnforcePlan, DEFAULT_ENFORCE_TABLE, VpnEnforceError } from './vpn-enforce';

describe('the kernel-enforced kill switch plan', () => {
  it('routes everything from the tunnel address into its own table, unreachable behind the tunnel route', () => {
    const plan = buildEnforcePlan({ interfaceName: 'wg0', addresses: ['10.8.0.2'] });
    const t = String(DEFAULT_ENFORCE_TABLE);
    expect(plan.apply).toEqual([
      ['-4', 'route', 'replace', 'unreachable', 'default', 'table', t, 'metric', '4000'],
      ['-4', 'route', 'replace', 'default', 'dev', 'wg0', 'table', t, 'metric', '10'],
      ['-4', 'rule', 'del', 'from', '10.8.0.2', 'lookup', t, 'priority', '10000'],
      ['-4', 'rule', 'add', 'from', '10.8.0.2', 'lookup', t, 'priority', '10000'],
    ]);
    expect(plan.tunnelRoutes).toEqual([['-4', 'route', 'replace', 'default', 'dev', 'wg0', 'table', t, 'metric', '10']]);
    expect(plan.remove).toEqual([
      ['-4', 'rule', 'del', 'from', '10.8.0.2', 'lookup', t, 'priority', '10000'],
      ['-4', 'route', 'flush', 'table', t],
    ]);
  });

  it('covers IPv6 too, and only the routes asked for', () => {
    const plan = buildEnforcePlan({
      interfaceName: 'tun0',
      addresses: ['10.8.0.2', 'fd00::2'],
      routes: ['10.0.0.0/8', 'fd00::/8'],
      table: 300,
      priority: 900,
    });
    expect(plan.tunnelRoutes).toEqual([
      ['-4', 'route', 'replace', '10.0.0.0/8', 'dev', 'tun0', 'table', '300', 'metric', '10'],
      ['-6', 'route', 'replace', 'fd00::/8', 'dev', 'tun0', 'table', '300', 'metric', '10'],
    ]);
    expect(plan.apply).toContainEqual(['-6', 'route', 'replace', 'unreachable', 'default', 'table', '300', 'metric', '4000']);
    expect(plan.apply).toContainEqual(['-6', 'rule', 'add', 'from', 'fd00::2', 'lookup', '300', 'priority', '900']);
    expect(plan.remove).toContainEqual(['-6', 'route', 'flush', 'table', '300']);
  });

  it('refuses what would break the machine or inject arguments', () => {
    const base = { interfaceName: 'wg0', addresses: ['10.8.0.2'] };
    expect(() => buildEnforcePlan({ ...base, interfaceName: 'wg0 table 254' })).toThrow(VpnEnforceError);
    expect(() => buildEnforcePlan({ ...base, table: 254 })).toThrow(/253–255/);
    expect(() => buildEnforcePlan({ ...base, priority: 32766 })).toThrow(/priority/);
    expect(() => buildEnforcePlan({ ...base, priority: 0 })).toThrow(/priority/);
    expect(() => buildEnforcePlan({ ...base, addresses: [] })).toThrow(/no address/);
    expect(() => buildEnforcePlan({ ...base, addresses: ['10.8.0.2/32'] })).toThrow(/not an IP/);
    expect(() => buildEnforcePlan({ ...base, routes: ['default'] })).toThrow(/not an IP prefix/);
    expect(() => buildEnforcePlan({ ...base, routes: ['1.2.3.4/8 dev eth0'] })).toThrow(/not an IP prefix/);
  });
});
