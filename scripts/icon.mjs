// Renders the extension's icon, assets/icon.png (128x128): the 25-Gaussians toy the
// project starts from, as 5x5 soft modes on a dark rounded square, coloured from teal
// to orange along the diagonal, with an energy contour ring around the centre mode.
// Rendered with 4x4 supersampling so edges are smooth. Run: node scripts/icon.mjs
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';

const SIZE = 128;
const SS = 4;
const out = fileURLToPath(new URL('../assets/icon.png', import.meta.url));
const lerp = (a, b, t) => a + (b - a) * t;
const mix = (c1, c2, t) => c1.map((v, i) => lerp(v, c2[i], t));
const BG_TOP = [24, 32, 48];
const BG_BOTTOM = [14, 19, 30];
const TEAL = [56, 214, 196];
const ORANGE = [255, 153, 64];

/** Colour and coverage of the mark at (x, y) in [0, 1]^2 (y down). */
function shade(x, y) {
  // Rounded square: corner radius 0.2.
  const r = 0.2;
  const dx = Math.max(Math.abs(x - 0.5) - (0.5 - r), 0);
  const dy = Math.max(Math.abs(y - 0.5) - (0.5 - r), 0);
  if (dx * dx + dy * dy > r * r) return [0, 0, 0, 0];
  let c = mix(BG_TOP, BG_BOTTOM, y);
  // Energy contours around the centre: two thin rings.
  const rc = Math.hypot(x - 0.5, y - 0.5);
  for (const [ring, w, a] of [
    [0.3, 0.012, 0.35],
    [0.42, 0.01, 0.18],
  ]) {
    const t = Math.max(0, 1 - Math.abs(rc - ring) / w);
    c = mix(c, [150, 170, 200], t * a);
  }
  // 5x5 modes on a grid, spacing 0.17.
  for (let i = 0; i < 5; i++)
    for (let j = 0; j < 5; j++) {
      const mx = 0.5 + (i - 2) * 0.17;
      const my = 0.5 + (j - 2) * 0.17;
      const d = Math.hypot(x - mx, y - my);
      const col = mix(TEAL, ORANGE, (i + j) / 8);
      const glow = Math.exp(-((d / 0.06) ** 2)) * 0.55;
      const core = d < 0.044 ? 1 : d < 0.05 ? (0.05 - d) / 0.006 : 0;
      c = mix(c, col, Math.min(1, glow + core));
    }
  return [...c, 255];
}

const png = new PNG({ width: SIZE, height: SIZE });
for (let py = 0; py < SIZE; py++)
  for (let px = 0; px < SIZE; px++) {
    const acc = [0, 0, 0, 0];
    for (let sy = 0; sy < SS; sy++)
      for (let sx = 0; sx < SS; sx++) {
        const [r, g, b, a] = shade((px + (sx + 0.5) / SS) / SIZE, (py + (sy + 0.5) / SS) / SIZE);
        acc[0] += r * a;
        acc[1] += g * a;
        acc[2] += b * a;
        acc[3] += a;
      }
    const o = (py * SIZE + px) * 4;
    const a = acc[3];
    png.data[o] = a ? Math.round(acc[0] / a) : 0;
    png.data[o + 1] = a ? Math.round(acc[1] / a) : 0;
    png.data[o + 2] = a ? Math.round(acc[2] / a) : 0;
    png.data[o + 3] = Math.round(a / (SS * SS));
  }
writeFileSync(out, PNG.sync.write(png));
console.error(`wrote ${out}`);
