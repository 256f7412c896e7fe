/**
 * The stanzas of the message pipeline (messenger.ts): the children of an OX chat message (XEP-0374 <openpgp/>, the
 * XEP-0380 encryption hint and a fixed fallback body that says the message is encrypted — never the text), with
 * XEP-0334 <store/>, a XEP-0184 receipt request and a XEP-0333 <markable/>; receipts and markers we send; and how
 * an incoming <message/> is read: its id (XEP-0359 origin-id, else the stanza id), its kind, what it refers to.
 */
import { randomUUID } from 'node:crypto';
import { xml, type Element } from '@xmpp/client';
import { OX_NS } from '../crypto/signcrypt';

export const NS_RECEIPTS = 'urn:xmpp:receipts';
export const NS_MARKERS = 'urn:xmpp:chat-markers:0';
export const NS_HINTS = 'urn:xmpp:hints';
export const NS_EME = 'urn:xmpp:eme:0';
export const NS_SID = 'urn:xmpp:sid:0';
export const NS_CLIENT = 'jabber:client';
export const NS_SM = 'urn:xmpp:sm:3';

/** The <body/> a client without OX shows instead of the message (customary for OX; it carries none of the text). */
export const OX_FALLBACK_BODY = 'This message is encrypted with OpenPGP for XMPP (OX)';

/** What goes inside the signcrypt <payload/>: the text as a jabber:client <body/>. */
export function signcryptBody(text: string): Element[] {
  return [xml('body', { xmlns: NS_CLIENT }, text)];
}

/** The children of an outgoing OX message (the stanza's id and origin-id are added by messageStanza). */
export function oxMessageChildren(openpgpText: string): Element[] {
  return [
    xml('openpgp', { xmlns: OX_NS }, openpgpText),
    xml('encryption', { xmlns: NS_EME, namespace: OX_NS, name: 'OpenPGP for XMPP' }),
    xml('body', {}, OX_FALLBACK_BODY),
    xml('store', { xmlns: NS_HINTS }),
    xml('request', { xmlns: NS_RECEIPTS }),
    xml('markable', { xmlns: NS_MARKERS }),
  ];
}

/** A XEP-0184 receipt for message `id`, to the full JID it came from. */
export function receiptStanza(to: string, id: string): Element {
  return xml('message', { to, id: randomUUID(), type: 'chat' }, xml('received', { xmlns: NS_RECEIPTS, id }), xml('store', { xmlns: NS_HINTS }));
}

/** A XEP-0333 displayed marker for message `id`. */
export function displayedStanza(to: string, id: string): Element {
  return xml('message', { to, id: randomUUID(), type: 'chat' }, xml('displayed', { xmlns: NS_MARKERS, id }), xml('store', { xmlns: NS_HINTS }));
}

/** The id a message is stored under: its origin-id, else its stanza id (undefined if it has neither). */
export function messageId(stanza: Element): string | undefined {
  const origin = stanza.getChild('origin-id', NS_SID)?.attrs.id;
  const id = origin !== undefined && origin.length > 0 ? origin : stanza.attrs.id;
  return id !== undefined && id.length > 0 && id.length <= 256 ? id : undefined;
}

/** What an incoming message is about, for the pipeline. */
export type Incoming =
  | { readonly kind: 'ox'; readonly openpgpText: string; readonly wantsReceipt: boolean }
  | { readonly kind: 'plain'; readonly body: string; readonly wantsReceipt: boolean }
  | { readonly kind: 'receipt'; readonly state: 'delivered' | 'read'; readonly refersTo: string }
  | { readonly kind: 'other' };

/** Classifies an incoming chat message. An <openpgp/> wins over any <body/> (which is then only a fallback). */
export function classify(stanza: Element): Incoming {
  const wantsReceipt = stanza.getChild('request', NS_RECEIPTS) !== undefined;
  const ox = stanza.getChild('openpgp', OX_NS);
  if (ox !== undefined) return { kind: 'ox', openpgpText: ox.getText().trim(), wantsReceipt };
  const marker = stanza.getChild('displayed', NS_MARKERS) ?? stanza.getChild('acknowledged', NS_MARKERS);
  const markerId = marker?.attrs.id;
  if (markerId !== undefined && markerId.length > 0) return { kind: 'receipt', state: 'read', refersTo: markerId };
  const received = stanza.getChild('received', NS_RECEIPTS) ?? stanza.getChild('received', NS_MARKERS);
  const receivedId = received?.attrs.id;
  if (receivedId !== undefined && receivedId.length > 0) return { kind: 'receipt', state: 'delivered', refersTo: receivedId };
  const body = stanza.getChild('body');
  if (body !== undefined) return { kind: 'plain', body: body.getText(), wantsReceipt };
  return { kind: 'other' };
}

/** The text of the first <body/> in a decrypted signcrypt payload, or undefined if it has none. */
export function payloadText(payload: readonly Element[]): string | undefined {
  const body = payload.find((el) => el.getName() === 'body' && (el.getNS() === NS_CLIENT || el.getNS() === undefined || el.getNS() === ''));
  return body?.getText();
}
