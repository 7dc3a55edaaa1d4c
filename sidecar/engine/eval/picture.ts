/**
 * One picture of a comparison, side by side with a caption under each panel: the data,
 * then each sampler's samples (`ecvae compare`, `npm run demo`). SVG, because the
 * captions are text: 2-D points are drawn as vector dots, image grids are embedded PNGs.
 */
import { encodePng } from '../data/images.ts';
import { imageGrid } from '../store/pictures.ts';

export interface Panel {
  title: string;
  caption: string;
  /** [n, ...shape] values in [-1, 1]: points when shape is [2], images when [H, W, C]. */
  values: Float32Array;
  n: number;
}

const SIZE = 300;
const GAP = 16;
const TITLE = 22;
const CAPTION = 36;

const escapeXml = (s: string): string => s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);

/** Points in [-1, 1]^2 as one path of 2x2 squares (y up), on a light frame. */
function scatter(values: Float32Array, n: number, color: string): string {
  const px = (v: number): string => (((v + 1) / 2) * (SIZE - 2)).toFixed(1);
  let d = '';
  for (let i = 0; i < n; i++) {
    const x = values[2 * i]!,
      y = values[2 * i + 1]!;
    if (Math.abs(x) > 1 || Math.abs(y) > 1) continue; // tanh outputs stay inside; guard anyway
    d += `M${px(x)} ${px(-y)}h2v2h-2z`;
  }
  return `<rect width="${SIZE}" height="${SIZE}" fill="#fafafa" stroke="#ccc"/><path fill="${color}" d="${d}"/>`;
}

function grid(values: Float32Array, n: number, shape: number[]): string {
  const pic = imageGrid(values, n, shape);
  const uri = `data:image/png;base64,${encodePng(pic.rgb, pic.width, pic.height, 3, false).toString('base64')}`;
  return `<image width="${SIZE}" height="${SIZE}" preserveAspectRatio="xMidYMid meet" style="image-rendering:pixelated" href="${uri}"/>`;
}

/** The panels in a row; `shape` is one example's shape. The first panel is drawn grey (the data). */
export function comparisonSvg(title: string, panels: Panel[], shape: number[]): string {
  const width = panels.length * (SIZE + GAP) + GAP;
  const height = TITLE + GAP + SIZE + CAPTION;
  const body = panels
    .map((p, i) => {
      const content = shape.length === 1 ? scatter(p.values, p.n, i === 0 ? '#777' : '#e66e14') : grid(p.values, p.n, shape);
      const cx = SIZE / 2;
      return (
        `<g transform="translate(${GAP + i * (SIZE + GAP)} ${TITLE + GAP})">${content}` +
        `<text x="${cx}" y="${SIZE + 16}" text-anchor="middle" font-weight="bold">${escapeXml(p.title)}</text>` +
        `<text x="${cx}" y="${SIZE + 32}" text-anchor="middle">${escapeXml(p.caption)}</text></g>`
      );
    })
    .join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="13">
<rect width="100%" height="100%" fill="#fff"/>
<text x="${GAP}" y="${TITLE}" font-size="15">${escapeXml(title)}</text>
${body}
</svg>
`;
}
