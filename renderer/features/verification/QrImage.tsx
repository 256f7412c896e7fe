import QRCode from 'qrcode';
import { useEffect, useState } from 'react';
import './qr.css';

interface QrImageProps {
  /** What the code carries. */
  text: string;
  /** The image's accessible name. */
  label: string;
  className?: string;
}

/**
 * A QR code as an <img> of an SVG data: URL (the CSP allows data: images; no markup is injected into the page).
 * Always dark on light, whatever the theme: scanners read that best.
 */
export function QrImage({ text, label, className }: QrImageProps) {
  const [state, setState] = useState<{ text: string; src: string } | { text: string; failed: true } | undefined>();
  useEffect(() => {
    let live = true;
    QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2, color: { dark: '#000000', light: '#ffffff' } }).then(
      (svg) => {
        if (live) setState({ text, src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}` });
      },
      () => {
        if (live) setState({ text, failed: true });
      },
    );
    return () => {
      live = false;
    };
  }, [text]);
  const classes = ['qr', className].filter(Boolean).join(' ');
  if (state === undefined || state.text !== text) return <div className={`${classes} qr-pending`} aria-hidden="true" />;
  if ('failed' in state) return <p className="qr-failed">The QR code could not be drawn. Use the text instead.</p>;
  return <img className={classes} src={state.src} alt={label} />;
}
