import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkQueue } from '../../src/server/queue.js';
import { ServiceUnavailableError } from '../../src/server/http-errors.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('never runs more than `concurrency` jobs; refuses past `maxQueued` with 503 + Retry-After', async () => {
  const q = new WorkQueue({ concurrency: 2, maxQueued: 3, timeoutMs: 10_000 });
  let running = 0, peak = 0;
  const job = async () => {
    running++;
    peak = Math.max(peak, running);
    await sleep(30);
    running--;
    return 'ok';
  };
  const results = await Promise.allSettled(Array.from({ length: 8 }, () => q.run(job)));
  assert.equal(peak, 2);
  const ok = results.filter((r) => r.status === 'fulfilled');
  const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  assert.equal(ok.length, 5, '2 running + 3 queued');
  assert.equal(refused.length, 3);
  for (const r of refused) {
    assert.ok(r.reason instanceof ServiceUnavailableError);
    assert.equal(r.reason.statusCode, 503);
    assert.ok(Number(r.reason.headers['retry-after']) >= 1);
  }
  assert.deepEqual(q.snapshot(), { running: 0, queued: 0, completed: 5, rejected: 3, timedOut: 0 });
});

test('a job past the timeout is answered with 503 but keeps its slot until it really ends', async () => {
  const q = new WorkQueue({ concurrency: 1, maxQueued: 4, timeoutMs: 50 });
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r)); // the slow job ends when the test says so, not by a clock
  let finished = false;
  const slow = q.run(async () => { await gate; finished = true; });
  await assert.rejects(slow, (e: unknown) => e instanceof ServiceUnavailableError && /longer than 0.05 s/.test(e.message));
  assert.equal(finished, false);
  assert.equal(q.snapshot().running, 1, 'the abandoned job still holds the only slot');
  // a job queued behind it times out while waiting and never starts
  let started = false;
  await assert.rejects(q.run(async () => { started = true; }), ServiceUnavailableError);
  open();
  await gate;
  await sleep(5);
  assert.equal(finished, true);
  assert.equal(started, false);
  assert.equal(q.snapshot().running, 0);
  assert.equal(await q.run(async () => 42), 42, 'free again');
});

test('errors of a job reach its caller and free the slot', async () => {
  const q = new WorkQueue({ concurrency: 1, maxQueued: 0, timeoutMs: 1000 });
  await assert.rejects(q.run(async () => { throw new Error('boom'); }), /boom/);
  await assert.rejects(q.run(() => { throw new Error('sync boom'); }), /sync boom/);
  assert.equal(await q.run(async () => 'next'), 'next');
});
