/**
 * A small, strict XML parser for decrypted OX content, which is untrusted input. It accepts the restricted XML of
 * RFC 6120 §11.1 and nothing more: no DOCTYPE or other markup declarations, no entity references but the five
 * predefined ones and character references, no comments, no processing instructions (an XML declaration at the very
 * start is tolerated), no characters XML 1.0 forbids, well-formed and namespace-well-formed, one root element, and
 * hard caps on size, depth, element and attribute counts. It builds xmpp.js (ltx) elements, so a payload can be handed
 * to the rest of the client unchanged. (ltx's own parser is lenient: it skips a DOCTYPE and ignores unclosed tags.)
 */
import { xml, type Element } from '@xmpp/client';
import { ContentError } from './errors';

export interface XmlLimits {
  /** In UTF-16 code units of the input string. */
  readonly maxChars: number;
  readonly maxDepth: number;
  readonly maxElements: number;
  readonly maxAttributes: number;
}

export const DEFAULT_XML_LIMITS: XmlLimits = { maxChars: 256 * 1024, maxDepth: 32, maxElements: 4096, maxAttributes: 64 };

// Characters XML 1.0 allows (§2.2); with the `u` flag a lone surrogate is a code point outside these ranges.
const ILLEGAL_CHAR = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
// XML 1.0 (5th ed.) NameStartChar and NameChar, as code point ranges (without ':' — QNames are checked apart).
const NAME_START_RANGES: readonly (readonly [number, number])[] = [
  [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a], [0xc0, 0xd6], [0xd8, 0xf6], [0xf8, 0x2ff], [0x370, 0x37d], [0x37f, 0x1fff],
  [0x200c, 0x200d], [0x2070, 0x218f], [0x2c00, 0x2fef], [0x3001, 0xd7ff], [0xf900, 0xfdcf], [0xfdf0, 0xfffd], [0x10000, 0xeffff],
];
const NAME_MORE_RANGES: readonly (readonly [number, number])[] = [[0x2d, 0x2e], [0x30, 0x39], [0xb7, 0xb7], [0x300, 0x36f], [0x203f, 0x2040]];
const inRanges = (cp: number, ranges: readonly (readonly [number, number])[]): boolean => ranges.some(([lo, hi]) => cp >= lo && cp <= hi);

function isNcName(name: string): boolean {
  if (name === '') return false;
  let first = true;
  for (const ch of name) {
    const cp = ch.codePointAt(0) ?? 0;
    if (!inRanges(cp, NAME_START_RANGES) && (first || !inRanges(cp, NAME_MORE_RANGES))) return false;
    first = false;
  }
  return true;
}

/** A QName: NCName, optionally `prefix:NCName`. */
function isQName(name: string): boolean {
  const parts = name.split(':');
  return parts.length <= 2 && parts.every(isNcName);
}

const PREDEFINED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function isLegalCodePoint(cp: number): boolean {
  return cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

/** Replaces the predefined entities and character references; anything else with `&` is an error. */
function decodeReferences(raw: string): string {
  if (!raw.includes('&')) return raw;
  return raw.replace(/&([^;]{0,10});|&/g, (_match: string, ref: string | undefined) => {
    if (ref === undefined) throw new ContentError('an "&" that starts no reference');
    const named = PREDEFINED[ref];
    if (named !== undefined) return named;
    const num = /^#(?:x([0-9A-Fa-f]{1,6})|([0-9]{1,7}))$/.exec(ref);
    if (!num) throw new ContentError('an entity reference (only the five predefined ones are allowed)');
    const cp = num[1] !== undefined ? parseInt(num[1], 16) : Number(num[2]);
    if (!isLegalCodePoint(cp)) throw new ContentError('a character reference to a character XML forbids');
    return String.fromCodePoint(cp);
  });
}

const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';

class StrictParser {
  private pos = 0;
  private elements = 0;

  constructor(
    private readonly s: string,
    private readonly limits: XmlLimits,
  ) {}

  parseDocument(): Element {
    const { s } = this;
    if (s.length > this.limits.maxChars) throw new ContentError('too large');
    if (ILLEGAL_CHAR.test(s)) throw new ContentError('a character XML forbids');
    if (s.startsWith('<?xml') && (isSpace(s[5]) || s[5] === '?')) {
      const end = s.indexOf('?>');
      if (end === -1 || s.slice(0, end).includes('<', 1)) throw new ContentError('a broken XML declaration');
      this.pos = end + 2;
    }
    this.skipSpace();
    if (s[this.pos] !== '<') throw new ContentError('no root element');
    const root = this.parseElement(1, [new Map([['xml', 'http://www.w3.org/XML/1998/namespace']])]);
    this.skipSpace();
    if (this.pos !== s.length) {
      this.rejectMarkup();
      throw new ContentError('content after the root element');
    }
    return root;
  }

  private skipSpace(): boolean {
    const start = this.pos;
    while (isSpace(this.s[this.pos])) this.pos++;
    return this.pos > start;
  }

  /** At a `<!` or `<?` (or other stray markup): the specific reason it is refused. */
  private rejectMarkup(): void {
    const rest = this.s.slice(this.pos, this.pos + 9);
    if (rest.startsWith('<!DOCTYPE')) throw new ContentError('a DOCTYPE (not allowed)');
    if (rest.startsWith('<!ENTITY')) throw new ContentError('an entity declaration (not allowed)');
    if (rest.startsWith('<!--')) throw new ContentError('a comment (not allowed)');
    if (rest.startsWith('<!')) throw new ContentError('a markup declaration (not allowed)');
    if (rest.startsWith('<?')) throw new ContentError('a processing instruction (not allowed)');
  }

  private readName(): string {
    const start = this.pos;
    const { s } = this;
    while (this.pos < s.length && !isSpace(s[this.pos]) && !'/>=<\'"'.includes(s[this.pos] ?? '')) this.pos++;
    const name = s.slice(start, this.pos);
    if (!isQName(name)) throw new ContentError('a malformed element or attribute name');
    return name;
  }

  private parseElement(depth: number, scopes: readonly ReadonlyMap<string, string>[]): Element {
    const { s } = this;
    if (depth > this.limits.maxDepth) throw new ContentError('nested too deeply');
    if (++this.elements > this.limits.maxElements) throw new ContentError('too many elements');
    this.rejectMarkup();
    this.pos++; // '<'
    const name = this.readName();
    const attrs: Record<string, string> = {};
    const declared = new Map<string, string>();
    let count = 0;
    let selfClosing = false;
    for (;;) {
      const spaced = this.skipSpace();
      const c = s[this.pos];
      if (c === undefined) throw new ContentError('an unterminated start tag');
      if (c === '>') {
        this.pos++;
        break;
      }
      if (c === '/') {
        if (s[this.pos + 1] !== '>') throw new ContentError('a malformed start tag');
        this.pos += 2;
        selfClosing = true;
        break;
      }
      if (!spaced) throw new ContentError('attributes not separated by whitespace');
      const attr = this.readName();
      this.skipSpace();
      if (s[this.pos] !== '=') throw new ContentError('an attribute without a value');
      this.pos++;
      this.skipSpace();
      const quote = s[this.pos];
      if (quote !== '"' && quote !== "'") throw new ContentError('an unquoted attribute value');
      const end = s.indexOf(quote, this.pos + 1);
      if (end === -1) throw new ContentError('an unterminated attribute value');
      const raw = s.slice(this.pos + 1, end);
      if (raw.includes('<')) throw new ContentError('"<" in an attribute value');
      this.pos = end + 1;
      if (Object.hasOwn(attrs, attr)) throw new ContentError('a duplicate attribute');
      if (attr === '__proto__') throw new ContentError('a reserved attribute name');
      if (++count > this.limits.maxAttributes) throw new ContentError('too many attributes');
      const value = decodeReferences(raw.replace(/[\t\n\r]/g, ' '));
      attrs[attr] = value;
      if (attr.startsWith('xmlns:')) {
        if (value === '') throw new ContentError('an empty namespace prefix declaration');
        declared.set(attr.slice(6), value);
      }
    }
    const inScope = declared.size > 0 ? [...scopes, declared] : scopes;
    const bound = (prefix: string): boolean => inScope.some((m) => m.has(prefix));
    for (const qname of [name, ...Object.keys(attrs)]) {
      const colon = qname.indexOf(':');
      const prefix = colon === -1 ? '' : qname.slice(0, colon);
      if (prefix !== '' && prefix !== 'xmlns' && !bound(prefix)) throw new ContentError('an undeclared namespace prefix');
    }
    const element = xml(name, attrs);
    if (!selfClosing) this.parseContent(element, name, depth, inScope);
    return element;
  }

  private parseContent(element: Element, name: string, depth: number, scopes: readonly ReadonlyMap<string, string>[]): void {
    const { s } = this;
    for (;;) {
      const lt = s.indexOf('<', this.pos);
      if (lt === -1) throw new ContentError('an unclosed element');
      if (lt > this.pos) {
        const raw = s.slice(this.pos, lt);
        if (raw.includes(']]>')) throw new ContentError('"]]>" in text');
        element.t(decodeReferences(raw));
      }
      this.pos = lt;
      if (s.startsWith('</', lt)) {
        this.pos += 2;
        const closing = this.readName();
        this.skipSpace();
        if (s[this.pos] !== '>') throw new ContentError('a malformed end tag');
        this.pos++;
        if (closing !== name) throw new ContentError('mismatched tags');
        return;
      }
      if (s.startsWith('<![CDATA[', lt)) {
        const end = s.indexOf(']]>', lt + 9);
        if (end === -1) throw new ContentError('an unterminated CDATA section');
        const text = s.slice(lt + 9, end);
        if (text !== '') element.t(text);
        this.pos = end + 3;
        continue;
      }
      element.append(this.parseElement(depth + 1, scopes));
    }
  }
}

/** Parses one XML document (its root element) under the given limits; any problem is a ContentError. */
export function parseStrictXml(text: string, limits: XmlLimits = DEFAULT_XML_LIMITS): Element {
  return new StrictParser(text, limits).parseDocument();
}

/** Text escaped for element content. */
export function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The children of an element serialised back to XML (ltx escapes attributes and text). */
export function childrenToXml(element: Element): string {
  return element.children.map((child) => (typeof child === 'string' ? escapeText(child) : child.toString())).join('');
}
