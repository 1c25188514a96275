import { after } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLanceDbStore } from '../../src/store/lancedb-store.js';
import { storeContract } from './contract.js';

const root = mkdtempSync(join(tmpdir(), 'vlm-lancedb-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

storeContract({
  name: 'LanceDB',
  async fresh() {
    const dir = join(root, `store-${n++}`);
    return { open: (opts = {}) => openLanceDbStore(dir, opts) };
  },
});
