import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bruteForceSearch } from '../../src/store/brute-force.js';
import type { SearchFilter, SearchHit, VectorItem, VectorStore } from '../../src/store/vector-store.js';
import { createRng } from '../../src/util/rng.js';
import { makeItems, near } from './synthetic.js';

/** One empty store location that can be opened (again) — a temp folder, a fresh table. */
export interface StoreSlot {
  open(opts?: { dim?: number }): Promise<VectorStore>;
}

export interface StoreUnderTest {
  name: string;
  /** a new, empty location for one test */
  fresh(): Promise<StoreSlot>;
}

const DIM = 16;
const N = 240;
const items = makeItems(N, DIM, 42);
const queries = (() => {
  const rng = createRng(7);
  return Array.from({ length: 6 }, (_, i) => near(items[(i * 37) % N].vector, 0.3, rng));
})();

async function withStore(sut: StoreUnderTest, fn: (store: VectorStore, slot: StoreSlot) => Promise<void>, dim?: number): Promise<void> {
  const slot = await sut.fresh();
  const store = await slot.open(dim === undefined ? {} : { dim });
  try {
    await fn(store, slot);
  } finally {
    await store.close();
  }
}

async function filled(store: VectorStore): Promise<void> {
  await store.upsert(items.slice(0, 100));
  await store.upsert(items.slice(100));
}

/** Same ids in the same order as exact search, and the same cosine scores. */
function assertSameHits(got: SearchHit[], want: SearchHit[], what: string): void {
  assert.deepEqual(
    got.map((h) => h.id),
    want.map((h) => h.id),
    `${what}: ids differ from brute force`,
  );
  got.forEach((h, i) => assert.ok(Math.abs(h.score - want[i].score) < 1e-4, `${what}: score of ${h.id} ${h.score} != ${want[i].score}`));
  for (let i = 1; i < got.length; i++) assert.ok(got[i - 1].score >= got[i].score - 1e-6, `${what}: not sorted by score`);
}

function assertSameVector(a: Float32Array, b: Float32Array): void {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-6, `component ${i}: ${a[i]} != ${b[i]}`);
}

/** The behaviour every VectorStore must have; run by test/store/<impl>.test.ts. */
export function storeContract(sut: StoreUnderTest): void {
  describe(`VectorStore contract: ${sut.name}`, () => {
    test('an empty store counts 0 and finds nothing', () =>
      withStore(sut, async (store) => {
        assert.equal(await store.count(), 0);
        assert.deepEqual(await store.search(queries[0], 5), []);
        assert.deepEqual(await store.get(['img-1']), []);
        await store.delete(['img-1']);
        const batches: VectorItem[][] = [];
        for await (const b of store.scan()) batches.push(b);
        assert.equal(batches.length, 0);
      }));

    test('upsert, count, get round-trip vectors and metadata', () =>
      withStore(sut, async (store) => {
        await filled(store);
        assert.equal(await store.count(), N);
        assert.equal(store.dim, DIM);
        const got = await store.get(['img-5', 'missing', 'img-200', 'img-7']);
        assert.deepEqual(
          got.map((g) => g.id),
          ['img-5', 'img-200', 'img-7'],
        );
        for (const g of got) {
          const want = items[Number(g.id.slice(4))];
          assertSameVector(g.vector, want.vector);
          assert.deepEqual(g.metadata, want.metadata);
        }
      }));

    test('upsert overwrites by id; a repeated id in one batch keeps the last', () =>
      withStore(sut, async (store) => {
        await filled(store);
        const moved = { id: 'img-3', vector: queries[1], metadata: { path: 'moved/x.jpg', takenAt: 5 } };
        await store.upsert([{ ...moved, vector: queries[2] }, moved]);
        assert.equal(await store.count(), N);
        const [got] = await store.get(['img-3']);
        assertSameVector(got.vector, queries[1]);
        assert.deepEqual(got.metadata, moved.metadata);
        const [top] = await store.search(queries[1], 1);
        assert.equal(top.id, 'img-3');
        assert.ok(Math.abs(top.score - 1) < 1e-4, `self-similarity ${top.score}`);
        assert.equal((await store.search(queries[1], 5, { pathPrefix: 'moved/' })).length, 1);
      }));

    test('delete removes items and ignores unknown ids', () =>
      withStore(sut, async (store) => {
        await filled(store);
        await store.delete(['img-0', 'img-1', 'nope']);
        assert.equal(await store.count(), N - 2);
        assert.deepEqual(await store.get(['img-0', 'img-1']), []);
        const hits = await store.search(items[0].vector, 20);
        assert.ok(!hits.some((h) => h.id === 'img-0' || h.id === 'img-1'));
      }));

    test('search returns the exact top-k by cosine similarity', () =>
      withStore(sut, async (store) => {
        await filled(store);
        for (const [i, q] of queries.entries()) {
          assertSameHits(await store.search(q, 10), bruteForceSearch(items, q, 10), `query ${i}`);
        }
        assert.equal((await store.search(queries[0], N + 50)).length, N);
        assert.deepEqual(await store.search(queries[0], 0), []);
      }));

    test('filters run before the top-k cut and match the reference semantics', () =>
      withStore(sut, async (store) => {
        await filled(store);
        const from = Date.UTC(2020, 1, 1);
        const filters: SearchFilter[] = [
          { pathPrefix: 'lib/a/' },
          { pathPrefix: 'lib/IMG_' }, // `_` is literal: lib/IMGX... must not match
          { pathPrefix: "lib/it's/" },
          { pathPrefix: 'nowhere/' },
          { dateFrom: from },
          { dateTo: from },
          { dateFrom: from, dateTo: from + 30 * 86_400_000 },
          { minScore: 0.6 },
          { excludeIds: ['img-0', 'img-37', 'img-74', "it's"] },
          { pathPrefix: 'lib/b/', dateFrom: from, minScore: 0.1, excludeIds: ['img-1'] },
        ];
        for (const filter of filters) {
          for (const q of queries.slice(0, 3)) {
            const want = bruteForceSearch(items, q, 8, filter);
            assertSameHits(await store.search(q, 8, filter), want, JSON.stringify(filter));
          }
        }
        const underscore = await store.search(queries[0], N, { pathPrefix: 'lib/IMG_' });
        assert.ok(underscore.length > 0 && underscore.every((h) => String(h.metadata.path).startsWith('lib/IMG_')));
      }));

    test('scan yields every item once, by path prefix, with or without vectors', () =>
      withStore(sut, async (store) => {
        await filled(store);
        const seen = new Map<string, VectorItem>();
        for await (const batch of store.scan({ batchSize: 64 })) {
          assert.ok(batch.length <= 64);
          for (const it of batch) {
            assert.ok(!seen.has(it.id), `duplicate ${it.id}`);
            seen.set(it.id, it);
          }
        }
        assert.equal(seen.size, N);
        assertSameVector(seen.get('img-9')!.vector, items[9].vector);
        const ids: string[] = [];
        for await (const batch of store.scan({ pathPrefix: 'lib/IMG_', withVectors: false })) {
          for (const it of batch) {
            assert.equal(it.vector.length, 0);
            ids.push(it.id);
          }
        }
        const want = items.filter((it) => String(it.metadata.path).startsWith('lib/IMG_')).map((it) => it.id);
        assert.deepEqual(ids.sort(), want.sort());
      }));

    test('data persists across close and reopen', async () => {
      const slot = await sut.fresh();
      const first = await slot.open();
      await filled(first);
      await first.delete(['img-2']);
      await first.close();
      const again = await slot.open({ dim: DIM });
      try {
        assert.equal(await again.count(), N - 1);
        assert.equal(again.dim, DIM);
        assertSameHits(await again.search(queries[3], 5), bruteForceSearch(items.filter((i) => i.id !== 'img-2'), queries[3], 5), 'after reopen');
      } finally {
        await again.close();
      }
    });

    test('vectors of another dimension are refused with a message', async () => {
      const slot = await sut.fresh();
      const store = await slot.open({ dim: DIM });
      try {
        await store.upsert(items.slice(0, 3));
        const wrong = { id: 'w', vector: new Float32Array(DIM + 1).fill(0.1), metadata: {} };
        await assert.rejects(store.upsert([wrong]), /\b16-d\b.*\b17-d\b/);
        await assert.rejects(store.search(new Float32Array(8).fill(0.3), 3), /\b16-d\b.*\b8-d\b/);
        await assert.rejects(store.upsert([{ id: 'nan', vector: new Float32Array(DIM).fill(NaN), metadata: {} }]), /non-finite/);
        assert.equal(await store.count(), 3);
      } finally {
        await store.close();
      }
      await assert.rejects(slot.open({ dim: 32 }), /16-d.*32-d/);
    });

    test('concurrent upserts and deletes all land', () =>
      withStore(sut, async (store) => {
        const chunks = Array.from({ length: 8 }, (_, c) => items.filter((_, i) => i % 8 === c));
        // overlapping batches too: the same ids written by several calls at once
        await Promise.all([...chunks.map((chunk) => store.upsert(chunk)), store.upsert(items.slice(0, 50)), store.upsert(items.slice(25, 75))]);
        assert.equal(await store.count(), N);
        await store.delete(['img-10']);
        // img-10 comes back while two others go: disjoint ids, so the outcome is fixed whatever the order
        await Promise.all([store.upsert(items.slice(0, 11)), store.delete(['img-200', 'img-201']), store.search(queries[0], 3)]);
        assert.equal(await store.count(), N - 2);
        assert.equal((await store.get(['img-10'])).length, 1);
      }, DIM));
  });
}
