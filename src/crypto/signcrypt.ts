/**
 * The <signcrypt xmlns='urn:xmpp:openpgp:0'/> content element of XEP-0373 §3.1 / XEP-0374: built for sending,
 * parsed strictly when received (after its signature has been verified). Structure rules: at least one <to jid/>,
 * exactly one <time stamp/>, exactly one <payload/>, all in the OX namespace; unknown children are ignored.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { xml, type Element } from '@xmpp/client';
import { tryNormalizeBareJid } from './encoding';
import { ContentError, PayloadTooLargeError, TimestampError } from './errors';
import { formatStamp, parseStamp } from './time';
import { childrenToXml, DEFAULT_XML_LIMITS, parseStrictXml } from './xml';

export const OX_NS = 'urn:xmpp:openpgp:0';
/** The most decrypted content Cove builds or accepts (UTF-8 bytes). */
export const MAX_SIGNCRYPT_BYTES = 256 * 1024;

export interface SigncryptContent {
  /** Normalised bare JIDs of the <to/> elements, in order. */
  readonly to: readonly string[];
  readonly time: Date;
  /** The <payload/> element's child elements (still attached, so their namespaces resolve). */
  readonly payload: readonly Element[];
  /** The <payload/> element's children serialised back to XML. */
  readonly payloadXml: string;
}

/**
 * Random-length, random-content padding (XEP-0373 §3.1) against length side channels: 16–255 characters of
 * base64url from the CSPRNG, different for every message. Nothing may rely on its content.
 */
export function randomRpad(): string {
  const length = randomInt(16, 256);
  return randomBytes(length).toString('base64url').slice(0, length);
}

/** The payload's children from XML text or elements, re-parsed strictly so nothing can break out of <payload/>. */
function payloadElement(body: string | readonly Element[]): Element {
  const inner = typeof body === 'string' ? body : body.map((el) => el.toString()).join('');
  if (inner.length > MAX_SIGNCRYPT_BYTES) throw new PayloadTooLargeError(MAX_SIGNCRYPT_BYTES);
  return parseStrictXml(`<payload>${inner}</payload>`, { ...DEFAULT_XML_LIMITS, maxChars: MAX_SIGNCRYPT_BYTES });
}

/** The signcrypt XML text to encrypt. Throws ContentError if `body` is not well-formed restricted XML. */
export function buildSigncrypt(options: { to: readonly string[]; time: Date; body: string | readonly Element[]; rpad?: string }): string {
  const root = xml(
    'signcrypt',
    { xmlns: OX_NS },
    ...options.to.map((jid) => xml('to', { jid })),
    xml('time', { stamp: formatStamp(options.time) }),
    xml('rpad', {}, options.rpad ?? randomRpad()),
    payloadElement(options.body),
  );
  return root.toString();
}

/** Parses decrypted signcrypt XML; ContentError or TimestampError on anything off. */
export function parseSigncrypt(text: string): SigncryptContent {
  const root = parseStrictXml(text, { ...DEFAULT_XML_LIMITS, maxChars: MAX_SIGNCRYPT_BYTES });
  if (root.getName() !== 'signcrypt' || root.getNS() !== OX_NS) {
    throw new ContentError(`not a <signcrypt/> element of ${OX_NS}`);
  }
  const to: string[] = [];
  const times: Element[] = [];
  const payloads: Element[] = [];
  for (const child of root.getChildElements()) {
    if (child.getNS() !== OX_NS) continue;
    switch (child.getName()) {
      case 'to': {
        const jid = tryNormalizeBareJid(child.attrs.jid ?? '');
        if (jid === null) throw new ContentError('a <to/> without a valid address');
        to.push(jid);
        break;
      }
      case 'time':
        times.push(child);
        break;
      case 'payload':
        payloads.push(child);
        break;
      default: // <rpad/> and anything unknown: ignored
    }
  }
  if (to.length === 0) throw new ContentError('no <to/> element');
  const [time, ...moreTimes] = times;
  if (time === undefined || moreTimes.length > 0) throw new ContentError('not exactly one <time/> element');
  const [payload, ...morePayloads] = payloads;
  if (payload === undefined || morePayloads.length > 0) throw new ContentError('not exactly one <payload/> element');
  const stamp = time.attrs.stamp;
  if (stamp === undefined) throw new TimestampError('<time/> has no stamp');
  const when = parseStamp(stamp);
  if (when === null) throw new TimestampError('unreadable stamp');
  return { to, time: when, payload: payload.getChildElements(), payloadXml: childrenToXml(payload) };
}
