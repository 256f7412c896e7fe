import { describe, expect, it } from 'vitest';
import { ContentError, TimestampError } from './errors';
import { parseSigncrypt } from './signcrypt';
import { signcryptXml } from './testing/seal';
import { DEFAULT_XML_LIMITS, parseStrictXml } from './xml';

const STAMP = '2024-05-01T12:00:00Z';
const BODY = "<body xmlns='jabber:client'>hi &amp; &lt;bye&gt; &#x1F600;</body>";

describe('strict XML parser', () => {
  it('parses restricted XML into xmpp.js elements', () => {
    const el = parseStrictXml(`<?xml version='1.0'?>\n<a xmlns='urn:x' b="1 &quot;2&quot;"><c:d xmlns:c='urn:y' e='&apos;'/>text<![CDATA[<raw>]]></a>`);
    expect(el.name).toBe('a');
    expect(el.attrs.b).toBe('1 "2"');
    expect(el.getChild('d', 'urn:y')?.attrs.e).toBe("'");
    expect(el.getText()).toBe('text<raw>');
  });

  it.each([
    ['a DOCTYPE', "<!DOCTYPE a><a/>"],
    ['an internal subset with entities', '<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>'],
    ['billion laughs', '<!DOCTYPE a [<!ENTITY l0 "ha"><!ENTITY l1 "&l0;&l0;">]><a>&l1;</a>'],
    ['an external entity', '<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>'],
    ['an undeclared entity', '<a>&nbsp;</a>'],
    ['an entity in an attribute', "<a b='&x;'/>"],
    ['a bare ampersand', '<a>fish & chips</a>'],
    ['a reference to NUL', '<a>&#0;</a>'],
    ['a reference to a surrogate', '<a>&#xD800;</a>'],
    ['a comment', '<a><!-- hi --></a>'],
    ['a processing instruction', '<a><?php echo 1 ?></a>'],
    ['a late XML declaration', "<a/><?xml version='1.0'?>"],
    ['a control character', '<a>\u0001</a>'],
    ['a lone surrogate', '<a>\uD800</a>'],
    ['mismatched tags', '<a><b></a></b>'],
    ['an unclosed element', '<a><b/>'],
    ['two roots', '<a/><b/>'],
    ['text after the root', '<a/>x'],
    ['no root', '   '],
    ['a duplicate attribute', "<a b='1' b='2'/>"],
    ['an unquoted attribute', '<a b=1/>'],
    ['an attribute without value', '<a b/>'],
    ['attributes without space', "<a b='1'c='2'/>"],
    ['"<" in an attribute', "<a b='<'/>"],
    ['a bad name', '<1a/>'],
    ['an undeclared prefix', '<x:a/>'],
    ['an undeclared attribute prefix', "<a x:b='1'/>"],
    ['"]]>" in text', '<a>]]></a>'],
    ['an unterminated CDATA', '<a><![CDATA[x</a>'],
    ['__proto__', "<a __proto__='x'/>"],
  ])('rejects %s', (_what, text) => {
    expect(() => parseStrictXml(text)).toThrow(ContentError);
  });

  it('enforces depth, element, attribute and size limits', () => {
    expect(() => parseStrictXml('<a>'.repeat(40) + '</a>'.repeat(40))).toThrow(/nested too deeply/);
    expect(() => parseStrictXml(`<a>${'<b/>'.repeat(5000)}</a>`)).toThrow(/too many elements/);
    const attrs = Array.from({ length: 70 }, (_, i) => `a${i}='1'`).join(' ');
    expect(() => parseStrictXml(`<a ${attrs}/>`)).toThrow(/too many attributes/);
    expect(() => parseStrictXml(`<a>${'x'.repeat(DEFAULT_XML_LIMITS.maxChars)}</a>`)).toThrow(/too large/);
  });
});

describe('signcrypt content', () => {
  it('reads a well-formed element', () => {
    const content = parseSigncrypt(signcryptXml({ to: ['Bob@B.test/phone', 'carol@b.test'], stamp: STAMP, payload: BODY }));
    expect(content.to).toEqual(['bob@b.test', 'carol@b.test']);
    expect(content.time.toISOString()).toBe('2024-05-01T12:00:00.000Z');
    expect(content.payload).toHaveLength(1);
    expect(content.payload[0]?.getText()).toBe('hi & <bye> \u{1F600}');
    expect(content.payloadXml).toBe('<body xmlns="jabber:client">hi &amp; &lt;bye&gt; \u{1F600}</body>');
  });

  it('ignores unknown children and foreign-namespace look-alikes', () => {
    const extra = "<future/><to xmlns='urn:other' jid='eve@e.test'/><payload xmlns='urn:other'/>";
    const content = parseSigncrypt(signcryptXml({ to: ['bob@b.test'], stamp: STAMP, payload: BODY, extra }));
    expect(content.to).toEqual(['bob@b.test']);
  });

  it.each([
    ['a wrong namespace', "<signcrypt xmlns='urn:xmpp:openpgp:1'><to jid='b@b.test'/><time stamp='2024-05-01T12:00:00Z'/><payload/></signcrypt>"],
    ['no namespace', "<signcrypt><to jid='b@b.test'/><time stamp='2024-05-01T12:00:00Z'/><payload/></signcrypt>"],
    ['a <crypt/> element', "<crypt xmlns='urn:xmpp:openpgp:0'><to jid='b@b.test'/><time stamp='2024-05-01T12:00:00Z'/><payload/></crypt>"],
    ['no <to/>', signcryptXml({ stamp: STAMP, payload: BODY })],
    ['a <to/> without jid', signcryptXml({ stamp: STAMP, payload: BODY, extra: '<to/>' })],
    ['a <to/> with a bad jid', signcryptXml({ to: ['@b.test'], stamp: STAMP, payload: BODY })],
    ['a huge jid', signcryptXml({ to: [`${'a'.repeat(5000)}@b.test`], stamp: STAMP, payload: BODY })],
    ['no <time/>', signcryptXml({ to: ['b@b.test'], payload: BODY })],
    ['two <time/>', signcryptXml({ to: ['b@b.test'], stamp: STAMP, payload: BODY, extra: `<time stamp='${STAMP}'/>` })],
    ['no <payload/>', signcryptXml({ to: ['b@b.test'], stamp: STAMP })],
    ['two <payload/>', signcryptXml({ to: ['b@b.test'], stamp: STAMP, payload: BODY, extra: '<payload/>' })],
  ])('rejects %s', (_what, text) => {
    expect(() => parseSigncrypt(text)).toThrow(ContentError);
  });

  it.each([
    ['no stamp', signcryptXml({ to: ['b@b.test'], payload: BODY, extra: '<time/>' })],
    ['a bad stamp', signcryptXml({ to: ['b@b.test'], stamp: 'tomorrow', payload: BODY })],
    ['a huge stamp', signcryptXml({ to: ['b@b.test'], stamp: '2'.repeat(100_000), payload: BODY })],
  ])('rejects %s as a time stamp error', (_what, text) => {
    expect(() => parseSigncrypt(text)).toThrow(TimestampError);
  });
});
