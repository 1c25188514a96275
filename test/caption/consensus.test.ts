import { test } from 'node:test';
import assert from 'node:assert/strict';
import { consensusScores, sentenceBleu } from '../../src/apps/caption/consensus.js';

const w = (s: string) => s.split(' ');

test('sentence BLEU: 1 for the same caption, 0 with no shared word, brevity-penalised when short', () => {
  assert.equal(sentenceBleu(w('a dog runs on the grass'), w('a dog runs on the grass')), 1);
  assert.equal(sentenceBleu(w('a dog runs'), w('two men sit')), 0);
  assert.equal(sentenceBleu([], w('a dog')), 0);
  // hand-computed: hyp "a dog runs" vs ref "a dog runs fast": p1 = 3/3, p2 = (2+1)/(2+1), p3 = (1+1)/(1+1), p4 = (0+1)/(0+1); BP = exp(1 - 4/3)
  assert.ok(Math.abs(sentenceBleu(w('a dog runs'), w('a dog runs fast')) - Math.exp(1 - 4 / 3)) < 1e-12);
  // a shared bigram but no shared 4-gram still scores above zero (smoothing)
  assert.ok(sentenceBleu(w('a black dog jumps over a log'), w('a black dog runs in the park')) > 0);
});

test('consensus favours the caption the beam agrees on over an outlier', () => {
  const beam = ['a dog runs through the grass', 'a brown dog runs through the grass', 'a dog runs on the grass', 'two people stand near a fountain'].map(w);
  const s = consensusScores(beam);
  assert.equal(s.length, 4);
  assert.equal(s.indexOf(Math.min(...s)), 3);
  assert.ok(s[0] > s[3]);
  assert.deepEqual(consensusScores([w('a dog')]), [0]);
});

test('rerankBest with a consensus weight moves the pick from a high-scoring outlier to the caption the beam agrees on', async () => {
  const { rerankBest } = await import('../../src/apps/caption/rerank.js');
  const hyp = (ids: number[], score: number) => ({ ids, text: ids.join(' '), logp: score, score });
  const beam = [hyp([9, 8, 7], -0.5), hyp([1, 2, 3, 4], -0.6), hyp([1, 2, 3, 5], -0.7), hyp([1, 2, 3, 4, 6], -0.8)];
  const zeros = beam.map(() => 0);
  assert.equal(rerankBest(beam, zeros), 0);
  assert.equal(rerankBest(beam, zeros, 0), 0);
  assert.equal(rerankBest(beam, zeros, 2), 1);
});
