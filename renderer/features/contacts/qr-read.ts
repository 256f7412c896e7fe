/**
 * Reading an invite's QR code from a picture (a screenshot, a photo): Cove keeps the camera off, so a QR code comes in
 * as an image file. jsQR does the decoding (well-known, no dependencies); the browser's canvas gives the pixels.
 */
import jsQR from 'jsqr';

export interface Pixels {
  readonly data: Uint8ClampedArray;
  readonly width: number;
  readonly height: number;
}

/** The text of the QR code in the pixels (RGBA), or undefined when there is none. */
export function decodeQr(pixels: Pixels): string | undefined {
  const found = jsQR(pixels.data, pixels.width, pixels.height, { inversionAttempts: 'attemptBoth' });
  return found === null || found.data === '' ? undefined : found.data;
}

/** Decodes the QR code of an image file in the page (createImageBitmap + a canvas). */
export async function readQrFromFile(file: Blob): Promise<string | undefined> {
  const bitmap = await createImageBitmap(file);
  try {
    const canvas = document.createElement('canvas');
    canvas.width = bitmap.width;
    canvas.height = bitmap.height;
    const ctx = canvas.getContext('2d');
    if (ctx === null) return undefined;
    ctx.drawImage(bitmap, 0, 0);
    const image = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
    return decodeQr({ data: image.data, width: image.width, height: image.height });
  } finally {
    bitmap.close();
  }
}
