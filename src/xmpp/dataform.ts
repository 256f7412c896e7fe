/**
 * XEP-0004 data forms as a registration (XEP-0077) form uses them, with CAPTCHA (XEP-0158) media: fields with
 * `<media xmlns='urn:xmpp:media-element'>` (XEP-0221) whose `cid:` URIs point at XEP-0231 `<data/>` sent along.
 * Parsing is strict about shape and bounded in size; nothing here fetches a URL (the UI decides, through the
 * Transport, if at all).
 */
import { xml, type Element } from '@xmpp/client';
import { XmppInputError } from './errors';

export const NS_DATA = 'jabber:x:data';
export const NS_MEDIA = 'urn:xmpp:media-element';
export const NS_BOB = 'urn:xmpp:bob';
export const NS_OOB = 'jabber:x:oob';

const FIELD_TYPES = [
  'boolean',
  'fixed',
  'hidden',
  'jid-multi',
  'jid-single',
  'list-multi',
  'list-single',
  'text-multi',
  'text-private',
  'text-single',
] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export interface MediaItem {
  /** A content type such as image/png. */
  readonly type: string;
  /** A cid:, http(s): or other URI; `data` holds the bytes when they came with the form (XEP-0231). */
  readonly uri: string;
  readonly data?: Uint8Array;
}

export interface FormField {
  readonly var: string;
  readonly type: FieldType;
  readonly label?: string;
  readonly required: boolean;
  readonly values: readonly string[];
  readonly options: readonly { readonly label?: string; readonly value: string }[];
  readonly media: readonly MediaItem[];
}

export interface DataForm {
  readonly formType?: string;
  readonly title?: string;
  readonly instructions: readonly string[];
  readonly fields: readonly FormField[];
}

export class FormError extends XmppInputError {
  override name = 'FormError';
  constructor(detail: string) {
    super('bad-form', `The server sent a form Cove cannot use: ${detail}.`);
  }
}

const MAX_FIELDS = 64;
const MAX_TEXT = 4096;
const MAX_MEDIA_BYTES = 512 * 1024;
const CAPTCHA_VARS = new Set(['ocr', 'qa', 'picture_q', 'picture_recog', 'audio_recog', 'speech_q', 'speech_recog', 'video_q', 'video_recog']);

function bounded(text: string | undefined, what: string): string | undefined {
  if (text === undefined) return undefined;
  if (text.length > MAX_TEXT) throw new FormError(`${what} is too long`);
  return text;
}

/** XEP-0231 data elements found under `root` (its children and its children's children), by cid. */
export function collectBob(root: Element): Map<string, { type: string; data: Uint8Array }> {
  const found = new Map<string, { type: string; data: Uint8Array }>();
  const candidates = [...root.getChildren('data', NS_BOB), ...root.getChildElements().flatMap((c) => c.getChildren('data', NS_BOB))];
  for (const d of candidates) {
    const cid = d.attrs.cid;
    const type = d.attrs.type;
    const text = d.text().replace(/\s+/g, '');
    if (cid === undefined || type === undefined || text.length > (MAX_MEDIA_BYTES * 4) / 3 + 4) continue;
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) continue;
    found.set(cid, { type, data: new Uint8Array(Buffer.from(text, 'base64')) });
  }
  return found;
}

function parseMedia(field: Element, bob: Map<string, { type: string; data: Uint8Array }>): MediaItem[] {
  const media = field.getChild('media', NS_MEDIA);
  if (media === undefined) return [];
  return media.getChildren('uri').slice(0, 8).map((u) => {
    const uri = bounded(u.text().trim(), 'a media URI') ?? '';
    const type = u.attrs.type ?? 'application/octet-stream';
    const inline = uri.startsWith('cid:') ? bob.get(uri.slice(4)) : undefined;
    return inline === undefined ? { type, uri } : { type, uri, data: inline.data };
  });
}

/** Parses a `<x xmlns='jabber:x:data' type='form'/>`; throws FormError on a malformed one. */
export function parseDataForm(x: Element, bob: Map<string, { type: string; data: Uint8Array }> = new Map()): DataForm {
  if (!x.is('x', NS_DATA)) throw new FormError('not a data form');
  if (x.attrs.type !== 'form') throw new FormError('not a form to fill in');
  const fieldEls = x.getChildren('field');
  if (fieldEls.length > MAX_FIELDS) throw new FormError('too many fields');
  const fields: FormField[] = [];
  let formType: string | undefined;
  for (const f of fieldEls) {
    const name = f.attrs.var;
    const rawType = f.attrs.type ?? 'text-single';
    const type = FIELD_TYPES.find((t) => t === rawType);
    if (type === undefined) throw new FormError('a field has an unknown type');
    if (name === undefined) {
      if (type === 'fixed') continue; // a fixed field may be a label without a name
      throw new FormError('a field has no name');
    }
    const values = f.getChildren('value').map((v) => bounded(v.text(), 'a value') ?? '');
    if (name === 'FORM_TYPE' && type === 'hidden') formType = values[0];
    const label = bounded(f.attrs.label, 'a label');
    fields.push({
      var: name,
      type,
      ...(label === undefined ? {} : { label }),
      required: f.getChild('required') !== undefined,
      values,
      options: f.getChildren('option').map((o) => {
        const optLabel = bounded(o.attrs.label, 'a label');
        return { ...(optLabel === undefined ? {} : { label: optLabel }), value: bounded(o.getChildText('value') ?? '', 'a value') ?? '' };
      }),
      media: parseMedia(f, bob),
    });
  }
  const title = bounded(x.getChildText('title') ?? undefined, 'the title');
  return {
    ...(formType === undefined ? {} : { formType }),
    ...(title === undefined ? {} : { title }),
    instructions: x.getChildren('instructions').map((i) => bounded(i.text(), 'instructions') ?? ''),
    fields,
  };
}

/** True when the form asks for a CAPTCHA (XEP-0158): a captcha FORM_TYPE, a media field or a known challenge field. */
export function isCaptcha(form: DataForm): boolean {
  return form.formType === 'urn:xmpp:captcha' || form.fields.some((f) => f.media.length > 0 || CAPTCHA_VARS.has(f.var));
}

export type FormValues = Readonly<Record<string, string | readonly string[]>>;

/**
 * The `<x type='submit'/>` answer: hidden fields are echoed with their values (FORM_TYPE, a CAPTCHA's challenge and
 * sid), the given values are used for the others; a required field without a value throws XmppInputError.
 */
export function submitDataForm(form: DataForm, values: FormValues): Element {
  const x = xml('x', { xmlns: NS_DATA, type: 'submit' });
  for (const f of form.fields) {
    if (f.type === 'fixed') continue;
    const given = values[f.var];
    const list = f.type === 'hidden' ? f.values : given === undefined ? f.values : typeof given === 'string' ? [given] : [...given];
    if (f.required && (list.length === 0 || list.every((v) => v.length === 0))) {
      throw new XmppInputError('form-incomplete', `Please fill in "${f.label ?? f.var}".`);
    }
    if (list.length === 0) continue;
    x.append(xml('field', { var: f.var }, ...list.map((v) => xml('value', {}, v))));
  }
  return x;
}
