import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bridgeCsp, rewriteCspMeta } from './csp';
import { parseCallFrame } from './protocol';

describe('parseCallFrame', () => {
  it('reads a call', () => {
    expect(parseCallFrame('{"id":7,"op":"appInfo","input":{}}')).toEqual({ ok: true, call: { id: 7, op: 'appInfo', input: {} } });
    expect(parseCallFrame('{"id":0,"op":"appInfo"}')).toEqual({ ok: true, call: { id: 0, op: 'appInfo', input: undefined } });
  });

  it.each([
    ['not JSON', '{id:1', null],
    ['an array', '[1,"appInfo",{}]', null],
    ['null', 'null', null],
    ['a string id', '{"id":"1","op":"appInfo","input":{}}', null],
    ['a negative id', '{"id":-1,"op":"appInfo","input":{}}', null],
    ['a fractional id', '{"id":1.5,"op":"appInfo","input":{}}', null],
    ['no op', '{"id":3,"input":{}}', 3],
    ['an op that is not a string', '{"id":4,"op":5,"input":{}}', 4],
    ['an extra field', '{"id":5,"op":"appInfo","input":{},"token":"x"}', 5],
  ])('refuses %s, keeping a readable id', (_what, text, id) => {
    const parsed = parseCallFrame(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.id).toBe(id);
  });
});

describe('CSP', () => {
  it('allows the bridge socket and nothing else remote', () => {
    const csp = bridgeCsp(4321);
    expect(csp.startsWith("default-src 'none'")).toBe(true);
    expect(csp).toContain('connect-src ws://127.0.0.1:4321;');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/https?:|\*|unsafe-/);
  });

  it("rewrites renderer/index.html's own meta to allow the bridge socket, keeping every other directive", () => {
    const html = readFileSync(join(import.meta.dirname, '..', '..', 'renderer', 'index.html'), 'utf8');
    const before = /content="([^"]*)"/.exec(html)?.[1] ?? '';
    const out = rewriteCspMeta(html, 'ws://127.0.0.1:4321');
    expect(out).toBeDefined();
    const after = /http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(out ?? '')?.[1] ?? '';
    expect(after).toContain('connect-src ws://127.0.0.1:4321');
    for (const directive of before.split(';').map((d) => d.trim())) expect(after).toContain(directive);
    expect(out?.replace(after, before)).toBe(html);
  });

  it('replaces an existing connect-src instead of adding a second one, and leaves a page without a meta alone', () => {
    const out = rewriteCspMeta(`<meta http-equiv='Content-Security-Policy' content="default-src 'none'; connect-src *">`, 'ws://127.0.0.1:1');
    expect(out).toBe(`<meta http-equiv='Content-Security-Policy' content="default-src 'none'; connect-src ws://127.0.0.1:1">`);
    expect(rewriteCspMeta('<html><head></head></html>', 'ws://127.0.0.1:1')).toBeUndefined();
  });
});
