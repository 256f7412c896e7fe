/**
 * Test-only: seals arbitrary bytes as an OpenPGP message the way an OX sender would (or a broken or malicious one:
 * unsigned, signed by anyone, compressed, any content), so tests can feed decryptSigncrypt what encryptSigncrypt
 * would never produce.
 */
import * as openpgp from 'openpgp';
import type { PrivateKey, PublicKey } from 'openpgp';
import { encodeBase64, utf8 } from '../encoding';

export interface SealOptions {
  readonly encryptTo: readonly PublicKey[];
  /** Omit for an unsigned (encrypted-only) message. */
  readonly signWith?: PrivateKey;
  readonly compress?: boolean;
  readonly date?: Date;
  /** Sign at this time (e.g. while a now expired key was valid), then encrypt at `date`. */
  readonly signDate?: Date;
}

export async function sealRaw(content: string | Uint8Array, options: SealOptions): Promise<string> {
  const binary = typeof content === 'string' ? utf8.encode(content) : content;
  let message = await openpgp.createMessage({ binary });
  const signFirst = options.signWith !== undefined && options.signDate !== undefined;
  if (signFirst) message = await openpgp.sign({ message, signingKeys: options.signWith, date: options.signDate, format: 'object' });
  const encrypted = await openpgp.encrypt({
    message,
    encryptionKeys: [...options.encryptTo],
    ...(options.signWith && !signFirst ? { signingKeys: options.signWith } : {}),
    ...(options.date ? { date: options.date } : {}),
    format: 'binary',
    config: { preferredCompressionAlgorithm: options.compress === true ? openpgp.enums.compression.zlib : openpgp.enums.compression.uncompressed },
  });
  return encodeBase64(encrypted);
}

/** A signcrypt document with the given parts, for hand-made content. */
export function signcryptXml(parts: { to?: readonly string[]; stamp?: string; payload?: string; extra?: string }): string {
  const to = (parts.to ?? []).map((jid) => `<to jid='${jid}'/>`).join('');
  const time = parts.stamp === undefined ? '' : `<time stamp='${parts.stamp}'/>`;
  const payload = parts.payload === undefined ? '' : `<payload>${parts.payload}</payload>`;
  return `<signcrypt xmlns='urn:xmpp:openpgp:0'>${to}${time}<rpad>pad</rpad>${payload}${parts.extra ?? ''}</signcrypt>`;
}
