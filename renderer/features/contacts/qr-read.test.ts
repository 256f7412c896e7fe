import QRCode from 'qrcode';
import { describe, expect, it } from 'vitest';
import { decodeQr, type Pixels } from './qr-read';

/** A QR code drawn as RGBA pixels (4 px a module, a 4-module quiet zone), as a canvas would give it. */
function render(text: string): Pixels {
  const qr = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const scale = 4;
  const margin = 4;
  const size = (qr.modules.size + margin * 2) * scale;
  const data = new Uint8ClampedArray(size * size * 4).fill(255);
  for (let y = 0; y < qr.modules.size; y += 1) {
    for (let x = 0; x < qr.modules.size; x += 1) {
      if (!qr.modules.get(x, y)) continue;
      for (let dy = 0; dy < scale; dy += 1) {
        for (let dx = 0; dx < scale; dx += 1) {
          const i = (((y + margin) * scale + dy) * size + (x + margin) * scale + dx) * 4;
          data[i] = 0;
          data[i + 1] = 0;
          data[i + 2] = 0;
        }
      }
    }
  }
  return { data, width: size, height: size };
}

describe('decodeQr', () => {
  it('reads the invite link of a QR code as Cove draws it', () => {
    const invite = 'xmpp:alice@a.test?roster;ox=DB51FFDBD8CFF6A792189568F0F0DCDF36256B368';
    expect(decodeQr(render(invite))).toBe(invite);
  });

  it('finds nothing in a blank picture', () => {
    expect(decodeQr({ data: new Uint8ClampedArray(64 * 64 * 4).fill(255), width: 64, height: 64 })).toBeUndefined();
  });
});
