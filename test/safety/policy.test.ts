import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isHidden, judge, parseSafetyPolicy, unsafeScore } from '../../src/apps/safety/index.js';

const scores = (o: Partial<Record<'Drawing' | 'Hentai' | 'Neutral' | 'Porn' | 'Sexy', number>>) => ({ Drawing: 0, Hentai: 0, Neutral: 0, Porn: 0, Sexy: 0, ...o });

test('unsafe score: Porn + Hentai (explicit), plus Sexy (suggestive); flagged at the threshold', () => {
  const s = scores({ Porn: 0.3, Hentai: 0.25, Sexy: 0.4, Neutral: 0.05 });
  assert.ok(Math.abs(unsafeScore(s) - 0.55) < 1e-9);
  assert.ok(Math.abs(unsafeScore(s, 'suggestive') - 0.95) < 1e-9);
  assert.equal(judge(s, 'c').flagged, true);
  assert.equal(judge(s, 'c', { threshold: 0.6 }).flagged, false);
  assert.equal(judge(s, 'c', { threshold: 0.6, level: 'suggestive' }).flagged, true);
  assert.equal(judge(scores({ Sexy: 0.9, Neutral: 0.1 }), 'c').flagged, false, 'suggestive alone is not explicit');
  assert.equal(judge(s, 'c').top, 'Sexy');
});

test('only the hide policy hides; the verdict says so in the stored metadata', () => {
  const bad = scores({ Porn: 0.9, Neutral: 0.1 });
  assert.equal(judge(bad, 'c', { policy: 'flag' }).hidden, false);
  assert.equal(judge(bad, 'c', { policy: 'refuse' }).hidden, false);
  const v = judge(bad, 'c', { policy: 'hide' });
  assert.equal(v.hidden, true);
  assert.equal(isHidden({ safety: v }), true);
  assert.equal(isHidden({ safety: judge(scores({ Neutral: 1 }), 'c', { policy: 'hide' }) }), false);
  assert.equal(isHidden({}), false);
  assert.throws(() => parseSafetyPolicy('block'), /flag, hide, refuse/);
  assert.throws(() => judge(bad, 'c', { threshold: 0 }), /threshold/);
});
