import sharp from 'sharp';
import { createRng } from '../util/rng.js';

/**
 * Text images rendered by us for the OCR part of the VQA set: a word or a number drawn with librsvg (through
 * sharp) in a varied font, size, colour and background, so the right answer is known exactly.
 */
export interface TextImage {
  text: string;
  png: Buffer;
  font: string;
  size: number;
}

const FONTS = ['DejaVu Sans', 'DejaVu Serif', 'DejaVu Sans Mono', 'Liberation Sans', 'Liberation Serif', 'Liberation Mono', 'Liberation Sans Narrow'];

const WORDS = [
  'open', 'closed', 'exit', 'welcome', 'parking', 'coffee', 'bakery', 'station', 'market', 'garden', 'library', 'museum',
  'hotel', 'school', 'police', 'danger', 'north', 'south', 'river', 'bridge', 'harbour', 'ticket', 'office', 'pharmacy',
  'books', 'music', 'theatre', 'cinema', 'platform', 'entrance', 'private', 'quiet', 'sale', 'fresh', 'bread', 'flowers',
  'stop', 'slow', 'caution', 'airport', 'taxi', 'bus', 'tram', 'metro', 'lake', 'forest', 'castle', 'tower', 'street',
  'avenue', 'square', 'park', 'beach', 'cafe', 'pizza', 'garage', 'repair', 'kitchen', 'toilets', 'lift', 'stairs',
];

/** Readable ink on paper: each pair keeps strong contrast (dark on light or light on dark). */
const PALETTES: { fg: string; bg: [string, string] }[] = [
  { fg: '#000000', bg: ['#ffffff', '#ffffff'] },
  { fg: '#1a1a80', bg: ['#fdf6e3', '#eee8d5'] },
  { fg: '#ffffff', bg: ['#1f4e8c', '#163a69'] },
  { fg: '#8b0000', bg: ['#fff8dc', '#f5deb3'] },
  { fg: '#ffff66', bg: ['#202020', '#404040'] },
  { fg: '#ffffff', bg: ['#b22222', '#8b1a1a'] },
  { fg: '#004d00', bg: ['#e8f5e9', '#c8e6c9'] },
  { fg: '#222222', bg: ['#ffd54f', '#ffb300'] },
  { fg: '#ffffff', bg: ['#2e7d32', '#1b5e20'] },
  { fg: '#3e2723', bg: ['#d7ccc8', '#bcaaa4'] },
];

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A random answer: one or two words (title/upper/lower case) or a number, as on signs and labels. */
export function randomSignText(rng: () => number): string {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rng() * xs.length)];
  const r = rng();
  if (r < 0.25) return String(Math.floor(rng() * 100000));
  const words = r < 0.65 ? [pick(WORDS)] : [pick(WORDS), pick(WORDS)];
  const style = rng();
  const cased = words.map((w) => (style < 0.4 ? w.toUpperCase() : style < 0.75 ? w[0].toUpperCase() + w.slice(1) : w));
  if (rng() < 0.15) cased.push(String(1 + Math.floor(rng() * 99)));
  return cased.join(' ');
}

/** Render `text` as a sign-like PNG; font, size, colours and background vary with the rng. */
export async function renderTextImage(text: string, rng: () => number): Promise<TextImage> {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rng() * xs.length)];
  const font = pick(FONTS);
  const size = 22 + Math.floor(rng() * 50);
  const pal = pick(PALETTES);
  const bold = rng() < 0.4;
  // Generous canvas: monospace glyphs are ~0.6 em wide, bold a little more.
  const width = Math.ceil(text.length * size * 0.72 + size * (1.5 + rng() * 2));
  const height = Math.ceil(size * (2 + rng() * 1.5));
  const gradient = rng() < 0.5;
  const noise = rng() < 0.3;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
  <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${pal.bg[0]}"/><stop offset="1" stop-color="${gradient ? pal.bg[1] : pal.bg[0]}"/></linearGradient></defs>
  <rect width="100%" height="100%" fill="url(#g)"/>
  <text x="50%" y="50%" dominant-baseline="central" text-anchor="middle" font-family="${font}" font-size="${size}" font-weight="${bold ? 'bold' : 'normal'}" fill="${pal.fg}">${escapeXml(text)}</text>
</svg>`;
  let img = sharp(Buffer.from(svg));
  if (noise) {
    // Mild sensor-like noise, so the set is not only pristine vector text.
    const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
    for (let i = 0; i < data.length; i++) data[i] = Math.max(0, Math.min(255, data[i] + Math.round((rng() - 0.5) * 40)));
    img = sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } });
  }
  return { text, png: await img.png().toBuffer(), font, size };
}

/** `n` seeded text images. */
export async function renderTextSet(n: number, seed: number): Promise<TextImage[]> {
  const rng = createRng(seed);
  const out: TextImage[] = [];
  for (let i = 0; i < n; i++) out.push(await renderTextImage(randomSignText(rng), rng));
  return out;
}
