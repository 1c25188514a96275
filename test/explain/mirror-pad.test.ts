/** Mirror padding of the tower input and the crop of its maps back to the image, on cases whose answer is known. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { cropMap, mirrorPad, openMapTower } from '../../src/apps/explain/map-tower.js';
import { decodeImage } from '../../src/image/decode.js';
import { flipNhwc } from '../../src/model/image-tower-onnx.js';
import { repoRoot } from '../../src/util/paths.js';

test('mirrorPad: reflects without repeating the edge pixel; pad 0 is the identity', () => {
  // 3 x 3 image, channel 0 = column, channel 1 = row, channel 2 = 7
  const n = 3;
  const px = new Float32Array(n * n * 3);
  for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) px.set([x, y, 7], (y * n + x) * 3);
  assert.equal(mirrorPad(px, n, 0), px);
  const out = mirrorPad(px, n, 2);
  const m = n + 4;
  const at = (x: number, y: number) => Array.from(out.subarray((y * m + x) * 3, (y * m + x) * 3 + 3));
  // padded row 2 / columns 2..4 are the image itself
  assert.deepEqual([at(2, 2), at(4, 4)], [[0, 0, 7], [2, 2, 7]]);
  // left of column 0 come columns 1, 2 (reflection about the edge pixel), right of column 2 come 1, 0
  assert.deepEqual([at(1, 2)[0], at(0, 2)[0], at(5, 2)[0], at(6, 2)[0]], [1, 2, 1, 0]);
  assert.deepEqual([at(3, 1)[1], at(3, 0)[1], at(3, 6)[1]], [1, 2, 0]);
  assert.ok(Array.from({ length: m * m }, (_, i) => out[i * 3 + 2]).every((v) => v === 7));
});

test('cropMap: drops k cells on every side, keeps channels in order', () => {
  const h = 4, w = 5, c = 2;
  const data = Float32Array.from({ length: h * w * c }, (_, i) => i);
  const out = cropMap({ h, w, c, data }, 1);
  assert.deepEqual([out.h, out.w, out.c], [2, 3, 2]);
  // (0, 0) of the crop is (1, 1) of the map
  assert.deepEqual(Array.from(out.data.subarray(0, 2)), [(1 * w + 1) * c, (1 * w + 1) * c + 1]);
  assert.deepEqual(Array.from(out.data.subarray(out.data.length - 2)), [(2 * w + 3) * c, (2 * w + 3) * c + 1]);
  assert.equal(cropMap({ h, w, c, data }, 0).data, data);
});

test('map tower with a mirror pad: same grid as without, interior close, border cells changed', { skip: process.env.VLM_TOWER_BACKEND === 'tfjs' ? 'onnxruntime only' : false }, async () => {
  const tower = await openMapTower('mobilenet_v2_mid', ['b13_map']);
  try {
    const photo = join(repoRoot, 'assets', 'demo', 'dog-pekingese.jpg');
    const plain = (await tower.maps(photo, 448)).b13_map;
    const padded = (await tower.maps(photo, 448, 64)).b13_map;
    assert.deepEqual([padded.h, padded.w, padded.c], [plain.h, plain.w, plain.c]);
    const cellDiff = (r: number, col: number) => {
      let d = 0, s = 0;
      for (let k = 0; k < plain.c; k++) {
        const i = (r * plain.w + col) * plain.c + k;
        d += Math.abs(plain.data[i] - padded.data[i]);
        s += Math.abs(plain.data[i]);
      }
      return d / s;
    };
    // zero padding only reaches a few cells in: the centre is (nearly) unchanged, the corner is not
    assert.ok(cellDiff(14, 14) < 0.05, `centre changed by ${cellDiff(14, 14)}`);
    assert.ok(cellDiff(0, 0) > 3 * cellDiff(14, 14), `corner ${cellDiff(0, 0)} vs centre ${cellDiff(14, 14)}`);
    await assert.rejects(tower.maps(photo, 448, 16), /multiple of 32/);
  } finally {
    await tower.dispose();
  }
});

test('map tower flip view: the mirrored photo\'s flip view is the photo\'s map mirrored (the map comes back the right way round)', { skip: process.env.VLM_TOWER_BACKEND === 'tfjs' ? 'onnxruntime only' : false }, async () => {
  const tower = await openMapTower('mobilenet_v2_mid', ['b13_map']);
  try {
    const img = await decodeImage(join(repoRoot, 'assets', 'demo', 'dog-pekingese.jpg'));
    const mirrored = { width: img.width, height: img.height, data: flipNhwc(Float32Array.from(img.data), 1, img.height, img.width) };
    const asImage = { ...mirrored, data: Uint8Array.from(mirrored.data) };
    const a = (await tower.maps(img, 320)).b13_map;
    const b = (await tower.maps(asImage, 320, 0, true)).b13_map;
    const mirroredA = flipNhwc(a.data, 1, a.h, a.w, a.c);
    let diff = 0, scale = 0;
    for (let i = 0; i < a.data.length; i++) {
      diff = Math.max(diff, Math.abs(b.data[i] - mirroredA[i]));
      scale = Math.max(scale, Math.abs(a.data[i]));
    }
    // not a tautology: without mirroring back, b would match a, not its mirror
    assert.ok(diff < 0.02 * scale, `flip view differs from the mirrored map by ${diff} (scale ${scale})`);
    let same = 0;
    for (let i = 0; i < a.data.length; i++) same = Math.max(same, Math.abs(b.data[i] - a.data[i]));
    assert.ok(same > 10 * diff, 'the photo is not mirror-symmetric, so the unmirrored map must differ');
  } finally {
    await tower.dispose();
  }
});
