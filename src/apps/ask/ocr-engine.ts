import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import sharp from 'sharp';
import { createWorker, OEM, PSM, type Worker } from 'tesseract.js';
import { decodeImage } from '../../image/decode.js';
import type { ImageInput } from '../../image/types.js';
import { VlmError } from '../../util/errors.js';

/** Text found in an image: the words kept (confident ones), their mean confidence 0..1, and the lines. */
export interface OcrResult {
  text: string;
  lines: string[];
  confidence: number;
  words: { text: string; confidence: number }[];
}

/**
 * Where the English LSTM weights live: the @tesseract.js-data/eng package (4.0.0_best_int is the LSTM-only
 * "best, integer" model). Pointing langPath at a folder makes tesseract.js read the file, never the CDN default.
 */
export function tesseractLangPath(): string {
  const require = createRequire(import.meta.url);
  let pkg: string;
  try {
    pkg = dirname(require.resolve('@tesseract.js-data/eng/package.json'));
  } catch {
    throw new VlmError('the OCR language data is missing: run `npm install` (it ships in @tesseract.js-data/eng)');
  }
  const dir = join(pkg, '4.0.0_best_int');
  if (!existsSync(join(dir, 'eng.traineddata.gz'))) throw new VlmError(`eng.traineddata.gz not found in ${dir}: reinstall @tesseract.js-data/eng`);
  return dir;
}

/**
 * Words below this confidence (0..100) are dropped: on photos tesseract reads texture as letters ("pr" at 63 on a
 * dog), while real sign words on the demo photos score 87-96.
 */
const MIN_WORD_CONFIDENCE = 80;

/**
 * A kept word has a letter or digit; a lone character must be a digit read with high confidence (texture often
 * reads as "I", "a" or "2").
 */
const isWordLike = (t: string, confidence: number) => /[\p{L}\p{N}]/u.test(t) && (t.length > 1 || (/\p{N}/u.test(t) && confidence >= 90));
/** Small images with no text found at their own size are read again enlarged to this shorter side (up to 3x). */
const MIN_SIDE = 600;

let shared: Promise<Worker> | undefined;

/**
 * One tesseract worker per process, created on first use (it loads ~11 MB of weights, ~1 s). In Node the wasm
 * core is require()d from tesseract.js-core in node_modules, so with langPath set nothing is fetched;
 * cacheMethod 'none' stops it writing a copy of the weights into the working directory.
 */
function worker(): Promise<Worker> {
  shared ??= (async () => {
    const w = await createWorker('eng', OEM.LSTM_ONLY, {
      langPath: tesseractLangPath(),
      gzip: true,
      cacheMethod: 'none',
      // Errors inside the worker thread reject the job; without this handler they would also be logged.
      errorHandler: () => {},
    });
    // A photo or a sign is sparse text, not a page: find as much text as possible in no particular order.
    await w.setParameters({ tessedit_pageseg_mode: PSM.SPARSE_TEXT, user_defined_dpi: '300' });
    return w;
  })();
  shared.catch(() => { shared = undefined; });
  return shared;
}

async function toPng(image: ImageInput, scaleUp: boolean): Promise<Buffer> {
  const rgb = await decodeImage(image);
  const scale = scaleUp ? Math.min(3, Math.max(1, MIN_SIDE / Math.min(rgb.width, rgb.height))) : 1;
  let img = sharp(Buffer.from(rgb.data.buffer, rgb.data.byteOffset, rgb.data.byteLength), { raw: { width: rgb.width, height: rgb.height, channels: 3 } });
  if (scale > 1.01) img = img.resize(Math.round(rgb.width * scale), Math.round(rgb.height * scale), { kernel: 'lanczos3' });
  return img.png({ compressionLevel: 1 }).toBuffer();
}

async function recognise(png: Buffer): Promise<OcrResult> {
  const w = await worker();
  const { data } = await w.recognize(png, {}, { text: true, blocks: true });
  const lines: string[] = [];
  const words: { text: string; confidence: number }[] = [];
  for (const block of data.blocks ?? []) {
    for (const para of block.paragraphs) {
      for (const line of para.lines) {
        const kept = line.words.filter((wd) => wd.confidence >= MIN_WORD_CONFIDENCE && isWordLike(wd.text, wd.confidence));
        if (kept.length === 0) continue;
        words.push(...kept.map((wd) => ({ text: wd.text, confidence: wd.confidence / 100 })));
        lines.push(kept.map((wd) => wd.text).join(' '));
      }
    }
  }
  const confidence = words.length ? words.reduce((s, wd) => s + wd.confidence, 0) / words.length : 0;
  return { text: lines.join(' '), lines, confidence, words };
}

/**
 * Read the text in an image with tesseract (English). At its own size first: enlarging text that is already large
 * loses it (rendered dev signs: 98/100 read exactly as they are, 93/100 enlarged). Only when nothing is found in a
 * small image is it read again enlarged, for small print.
 */
export async function readText(image: ImageInput): Promise<OcrResult> {
  const first = await recognise(await toPng(image, false));
  if (first.words.length > 0) return first;
  const rgb = await decodeImage(image);
  if (Math.min(rgb.width, rgb.height) >= MIN_SIDE) return first;
  return recognise(await toPng(rgb, true));
}

/** Stop the shared worker (tests and short-lived commands, so the process can exit). */
export async function closeOcr(): Promise<void> {
  const p = shared;
  shared = undefined;
  if (p) await (await p).terminate().catch(() => undefined);
}
