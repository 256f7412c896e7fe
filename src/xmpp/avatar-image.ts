/** Checks on avatar bytes: the content type from the magic bytes (PNG or JPEG only) and the pixel size if readable. */

export type AvatarType = 'image/png' | 'image/jpeg';

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The image type the bytes really are, or undefined when neither PNG nor JPEG. */
export function sniffImageType(bytes: Uint8Array): AvatarType | undefined {
  if (bytes.length >= 8 && PNG_MAGIC.every((b, i) => bytes[i] === b)) return 'image/png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  return undefined;
}

function u16(bytes: Uint8Array, at: number): number {
  return ((bytes[at] ?? 0) << 8) | (bytes[at + 1] ?? 0);
}

/** Width and height from a PNG IHDR or a JPEG SOFn segment; undefined when not found. */
export function imageSize(bytes: Uint8Array, type: AvatarType): { width: number; height: number } | undefined {
  if (type === 'image/png') {
    if (bytes.length < 24) return undefined;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return { width: view.getUint32(16), height: view.getUint32(20) };
  }
  let at = 2;
  while (at + 9 < bytes.length) {
    if (bytes[at] !== 0xff) return undefined;
    const marker = bytes[at + 1] ?? 0;
    const length = u16(bytes, at + 2);
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) return { height: u16(bytes, at + 5), width: u16(bytes, at + 7) };
    if (length < 2) return undefined;
    at += 2 + length;
  }
  return undefined;
}
