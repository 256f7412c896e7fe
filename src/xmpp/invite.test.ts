import { describe, expect, it } from 'vitest';
import { buildInvite, InviteError, parseInvite, type InviteFailure } from './invite';

const FP = '0123456789ABCDEF0123456789ABCDEF01234567';

function failure(uri: string): InviteFailure | undefined {
  try {
    parseInvite(uri);
    return undefined;
  } catch (err) {
    if (err instanceof InviteError) return err.reason;
    throw err;
  }
}

describe('invite links', () => {
  it('builds and parses back a roster invite with name and OX fingerprint', () => {
    const uri = buildInvite({ jid: 'alice@a.test', name: 'Alice', fingerprint: FP.toLowerCase() });
    expect(uri).toBe(`xmpp:alice@a.test?roster;name=Alice;ox=${FP}`);
    expect(parseInvite(uri)).toEqual({ jid: 'alice@a.test', name: 'Alice', fingerprint: FP });
  });

  it('percent-encodes names and unusual local parts, and decodes them back', () => {
    const uri = buildInvite({ jid: 'o+brien@a.test', name: 'Ana María; "x=y"' });
    expect(uri).not.toMatch(/name=[^;]*;[^o]/);
    expect(parseInvite(uri)).toEqual({ jid: 'o+brien@a.test', name: 'Ana María; "x=y"' });
  });

  it('reads a plain address, lower-cases it, and accepts parameters in any order', () => {
    expect(parseInvite('xmpp:Alice@A.test')).toEqual({ jid: 'alice@a.test' });
    expect(parseInvite(`XMPP:alice@a.test?roster;ox=${FP};name=Al`)).toEqual({ jid: 'alice@a.test', name: 'Al', fingerprint: FP });
  });

  it('ignores unknown actions (the link is a plain address then) and unknown parameters', () => {
    expect(parseInvite(`xmpp:alice@a.test?message;body=hi;ox=${FP}`)).toEqual({ jid: 'alice@a.test' });
    expect(parseInvite('xmpp:alice@a.test?roster;group=Friends;name=A')).toEqual({ jid: 'alice@a.test', name: 'A' });
  });

  it.each([
    ['', 'bad-uri'],
    ['https://a.test/alice', 'bad-uri'],
    ['xmpp://alice@a.test/bob@b.test', 'bad-uri'],
    ['xmpp:alice@a.test#frag', 'bad-uri'],
    ['xmpp:alice@a.test?roster;name', 'bad-uri'],
    ['xmpp:alice@a.test?roster;;name=A', 'bad-uri'],
    ['xmpp:alice@a.test?roster;name=A;name=B', 'bad-uri'],
    ['xmpp:alice@a.test?roster;=x', 'bad-uri'],
    ['xmpp:alice@a.test?;name=A', 'bad-uri'],
    ['xmpp:alice @a.test', 'bad-uri'],
    [`xmpp:alice@a.test?roster;name=${'x'.repeat(5000)}`, 'bad-uri'],
    ['xmpp:a.test', 'bad-jid'],
    ['xmpp:alice@a.test/phone', 'bad-jid'],
    ['xmpp:alice@', 'bad-jid'],
    ['xmpp:%E0%A4%A@a.test', 'bad-jid'],
    ['xmpp:?roster', 'bad-jid'],
    ['xmpp:alice@a.test?roster;ox=0123', 'bad-fingerprint'],
    [`xmpp:alice@a.test?roster;ox=${FP}00`, 'bad-fingerprint'],
    [`xmpp:alice@a.test?roster;ox=${FP.slice(0, 39)}G`, 'bad-fingerprint'],
    ['xmpp:alice@a.test?roster;ox=', 'bad-fingerprint'],
    ['xmpp:alice@a.test?roster;name=%ZZ', 'bad-name'],
    ['xmpp:alice@a.test?roster;name=a%0Ab', 'bad-name'],
    ['xmpp:alice@a.test?roster;name=%20', 'bad-name'],
  ] as const)('refuses %s (%s)', (uri, reason) => {
    expect(failure(uri)).toBe(reason);
  });

  it('refuses to build a link from bad input', () => {
    expect(() => buildInvite({ jid: 'a.test' })).toThrow(InviteError);
    expect(() => buildInvite({ jid: 'alice@a.test', fingerprint: 'abc' })).toThrow(/fingerprint/);
    expect(() => buildInvite({ jid: 'alice@a.test', name: 'x\u0000' })).toThrow(InviteError);
  });

  it('errors carry a typed code and a message for people', () => {
    try {
      parseInvite('xmpp:alice@a.test?roster;ox=12');
    } catch (err) {
      expect(err).toBeInstanceOf(InviteError);
      expect((err as InviteError).toApiError()).toEqual({ code: 'invite-bad-fingerprint', message: expect.stringMatching(/new link/) as unknown });
    }
  });
});
