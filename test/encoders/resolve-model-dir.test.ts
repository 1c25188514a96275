import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { defaultModelDir, resolveModelDir } from '../../src/util/paths.js';

test('--model: an existing path wins, a bare name finds a shipped model, anything else stays a path', () => {
  const cwd = process.cwd();
  const tmp = mkdtempSync(join(tmpdir(), 'vlm-model-arg-'));
  try {
    process.chdir(tmp);
    assert.equal(resolveModelDir('default'), defaultModelDir);
    mkdirSync(join(tmp, 'default'));
    assert.equal(resolveModelDir('default'), resolve(tmp, 'default'), 'a local folder of that name is taken first');
    assert.equal(resolveModelDir('no-such-model'), resolve(tmp, 'no-such-model'), 'unknown: left for the loader to report');
    assert.equal(resolveModelDir('./x/y'), resolve(tmp, 'x/y'));
  } finally {
    process.chdir(cwd);
    rmSync(tmp, { recursive: true, force: true });
  }
});
