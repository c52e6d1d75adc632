/**
 * QR codes for the "Connect a device" screen. What a code holds is decided by one pure function:
 * the sync address itself (`http://192.168.1.20:8080/`). The sync server serves the phone setup
 * page at `/`, so scanning the code opens that page on the phone (proof it reaches this PC, the
 * address with a Copy button, the steps), and the address is exactly what Anki needs.
 *
 * Drawn as SVG from the module matrix of the `qrcode` package: no canvas, no data URL, no
 * innerHTML; a quiet zone of 4 modules as the standard asks, dark on white in both themes
 * (phone cameras read dark-on-light best).
 */
import { create } from 'qrcode';
import type { SyncAddress } from '../shared/api.ts';
import { svg } from './dom.ts';

/** What the QR code of an address encodes: exactly the URL shown next to it. */
export function qrPayload(address: Pick<SyncAddress, 'url'>): string {
  return address.url;
}

const QUIET_ZONE = 4;

/** One SVG path of all dark modules (one `M x y h1 v1 h-1 z` square each, merged per row run). */
export function qrPath(text: string): { readonly size: number; readonly d: string } {
  const { modules } = create(text, { errorCorrectionLevel: 'M' });
  const n = modules.size;
  const parts: string[] = [];
  for (let y = 0; y < n; y++) {
    let x = 0;
    while (x < n) {
      if (!modules.data[y * n + x]) {
        x += 1;
        continue;
      }
      const start = x;
      while (x < n && modules.data[y * n + x]) x += 1;
      parts.push(`M${start + QUIET_ZONE} ${y + QUIET_ZONE}h${x - start}v1h${start - x}z`);
    }
  }
  return { size: n + 2 * QUIET_ZONE, d: parts.join('') };
}

export function qrCode(text: string, label: string): SVGSVGElement {
  const { size, d } = qrPath(text);
  return svg(
    'svg',
    {
      class: 'qr',
      viewBox: `0 0 ${size} ${size}`,
      role: 'img',
      'aria-label': label,
      'shape-rendering': 'crispEdges',
    },
    svg('rect', { width: size, height: size, fill: '#fff' }),
    svg('path', { d, fill: '#000' }),
  );
}
