/**
 * The server's own indexing runs the image safety check (issue 8): by default the nsfwjs classifier with the
 * flag policy, as `vlm index`; hide and refuse behave as documented in docs/api.md. A small real
 * SafetyClassifier whose answer is known (red-dominated images are "Porn") decides the policy cases.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { buildServer } from '../../src/server/app.js';
import type { ServerOptions } from '../../src/server/options.js';
import { parseServerSafety } from '../../src/server/safety.js';
import { openStore } from '../../src/store/open-store.js';
import { fixtureEncoder, tempDir, writeFile } from '../library/fixtures.js';
import { redIsUnsafe, solid } from '../safety/fixtures.js';
import { makeLibrary, makeServer } from './fixtures.js';

const tmp = tempDir(after, 'vlm-server-safety-');

interface Hit { id: string; path: string; safety?: { flagged: boolean; unsafe: number; top: string } }
interface Summary { skipped: { path: string; reason: string }[]; indexed: number; safety: string }

test('flag marks the image in results, hide leaves it out of searches, refuse does not index it (POST /v1/index)', async () => {
  const root = join(tmp, 'photos');
  writeFile(join(root, 'red.png'), await solid(230, 20, 20));
  writeFile(join(root, 'green.png'), await solid(20, 200, 40));
  writeFile(join(root, 'blue.png'), await solid(20, 40, 220));
  const encoder = await fixtureEncoder(tmp);
  try {
    for (const policy of ['flag', 'hide', 'refuse'] as const) {
      const db = join(tmp, `db-${policy}`);
      const store = await openStore(db, { dim: encoder.dim, defaultPath: db });
      const server = await buildServer({ encoder, store, roots: [root], dbPath: db, safety: { policy, classifier: redIsUnsafe } });
      try {
        const res = await server.app.inject({ method: 'POST', url: '/v1/index', headers: { accept: 'application/json' }, payload: {} });
        assert.equal(res.statusCode, 200, res.body);
        const [summary] = (res.json() as { folders: Summary[] }).folders;
        assert.equal(summary.safety, policy);
        const search = await server.app.inject({ url: '/v1/search?q=a%20photo&k=10' });
        const hits = (search.json() as { results: Hit[] }).results;
        const names = hits.map((h) => h.path.split('/').pop()).sort();
        if (policy === 'refuse') {
          assert.deepEqual(summary.skipped.map((s) => s.path.split('/').pop()), ['red.png']);
          assert.match(summary.skipped[0].reason, /refused by the safety policy/);
          assert.equal(summary.skipped[0].reason.includes(tmp), false, 'no absolute path leaks in the reason');
          assert.deepEqual(names, ['blue.png', 'green.png']);
        } else if (policy === 'hide') {
          assert.deepEqual(summary.skipped, []);
          assert.equal(await store.count(), 3, 'a hidden image is indexed');
          assert.deepEqual(names, ['blue.png', 'green.png']);
        } else {
          assert.deepEqual(names, ['blue.png', 'green.png', 'red.png']);
          for (const h of hits) {
            assert.equal(h.safety?.flagged, h.path.endsWith('red.png'), `${h.path}: ${JSON.stringify(h.safety)}`);
            assert.equal(h.safety?.top, h.path.endsWith('red.png') ? 'Porn' : 'Neutral');
          }
          const red = hits.find((h) => h.path.endsWith('red.png'))!;
          const info = (await server.app.inject({ url: `/v1/images/${red.id}/info` })).json() as { safety?: { flagged: boolean; classifier: string } };
          assert.equal(info.safety?.flagged, true);
          assert.equal(info.safety?.classifier, 'test:red');
        }
      } finally {
        await server.app.close();
        await store.close();
      }
    }
  } finally {
    await encoder.dispose();
  }
});

test('by default the server checks what it indexes with the nsfwjs classifier (flag policy)', async () => {
  const lib = await makeLibrary();
  try {
    const server = await makeServer(lib);
    try {
      assert.equal(server.library.safety.policy, 'flag');
      const hits = ((await server.app.inject({ url: '/v1/search?q=a%20photo&k=20' })).json() as { results: Hit[] }).results;
      assert.ok(hits.length >= 5, `indexed ${hits.length} images`);
      for (const h of hits) {
        const info = (await server.app.inject({ url: `/v1/images/${h.id}/info` })).json() as { safety?: { classifier: string; scores: Record<string, number> } };
        assert.equal(info.safety?.classifier, 'nsfwjs:mobilenet_v2_mid', `${h.path} has a verdict`);
        const total = Object.values(info.safety!.scores).reduce((a, b) => a + b, 0);
        assert.ok(Math.abs(total - 1) < 1e-3, `class probabilities of ${h.path} sum to ${total}`);
        assert.equal(typeof h.safety?.flagged, 'boolean');
      }
    } finally {
      await server.app.close();
    }
  } finally {
    await lib.cleanup();
  }
});

test('safety off: images are indexed without a verdict', async () => {
  const lib = await makeLibrary();
  try {
    const opts: Partial<ServerOptions> = { safety: 'off' };
    const server = await makeServer(lib, opts);
    try {
      const hits = ((await server.app.inject({ url: '/v1/search?q=a%20photo&k=20' })).json() as { results: Hit[] }).results;
      assert.ok(hits.length >= 5);
      for (const h of hits) assert.equal(h.safety, undefined);
    } finally {
      await server.app.close();
    }
  } finally {
    await lib.cleanup();
  }
});

test('$VLM_SAFETY / --safety settings parse, and a typo is a usage error', () => {
  assert.deepEqual(parseServerSafety('hide'), { policy: 'hide' });
  assert.deepEqual(parseServerSafety('refuse:suggestive'), { policy: 'refuse', level: 'suggestive' });
  assert.equal(parseServerSafety('off'), 'off');
  assert.throws(() => parseServerSafety('block'), /unknown safety policy "block"/);
  assert.throws(() => parseServerSafety('hide:nude'), /bad safety setting/);
});
