import { describe, expect, it } from 'vitest';
import { checkRoute, judgeRoute, judgeRouteError, parseRouteGet } from './vpn-route';

// `ip -j route get 10.231.2.2 from 10.231.9.2` (iproute2 6.1) with the tunnel up, then with its link down.
const VIA_TUNNEL = '[{"dst":"10.231.2.2","from":"10.231.9.2","dev":"wgxc","flags":[],"uid":0,"cache":[]}]';
const VIA_PHYSICAL = '[{"dst":"10.231.2.2","from":"10.231.9.2","gateway":"10.231.1.1","dev":"cphys","flags":[],"uid":0,"cache":[]}]';
const LOCAL = '[{"type":"local","dst":"10.231.9.2","from":"10.231.9.2","dev":"lo","flags":[],"uid":0,"cache":["local"]}]';

describe('the route check', () => {
  it('parses ip -j route get', () => {
    expect(parseRouteGet(VIA_TUNNEL)).toEqual({ type: 'unicast', dev: 'wgxc' });
    expect(parseRouteGet(LOCAL)).toEqual({ type: 'local', dev: 'lo' });
    expect(parseRouteGet('[]')).toBeUndefined();
    expect(parseRouteGet('not json')).toBeUndefined();
    expect(parseRouteGet('[null]')).toBeUndefined();
  });

  it('lets only a route out of the tunnel (or local delivery) through, and names no address', () => {
    expect(judgeRoute('wgxc', parseRouteGet(VIA_TUNNEL))).toEqual({ ok: true, dev: 'wgxc' });
    expect(judgeRoute('wgxc', parseRouteGet(LOCAL))).toEqual({ ok: true, dev: 'lo' });
    const leak = judgeRoute('wgxc', parseRouteGet(VIA_PHYSICAL));
    expect(leak).toEqual({ ok: false, why: 'the route to the server goes through cphys, not wgxc' });
    expect(judgeRoute('wgxc', { type: 'unreachable', dev: undefined })).toMatchObject({ ok: false, why: expect.stringMatching(/unreachable/) as unknown });
    expect(judgeRoute('wgxc', undefined).ok).toBe(false);
  });

  it('turns ip errors into a reason', () => {
    expect(judgeRouteError('RTNETLINK answers: No route to host\n')).toEqual({
      ok: false,
      why: 'there is no route to the server through the tunnel (no route to host)',
    });
    expect(judgeRouteError('').ok).toBe(false);
  });

  it('fails closed when the ip command is missing', async () => {
    const verdict = await checkRoute('wg0', '192.0.2.1', '10.0.0.2', { ipCommand: '/nonexistent/ip' });
    expect(verdict).toEqual({ ok: false, why: expect.stringMatching(/iproute2\) is missing/) as unknown });
  });

  it.runIf(process.platform === 'linux')('asks the real kernel: loopback to itself is local', async () => {
    expect(await checkRoute('lo', '127.0.0.1', '127.0.0.1')).toEqual({ ok: true, dev: 'lo' });
  });
});
