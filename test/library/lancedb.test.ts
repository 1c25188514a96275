import { join } from 'node:path';
import { librarySuite } from './suite.js';

let n = 0;
librarySuite({ name: 'LanceDB', freshDb: (tmp) => join(tmp, `db-${n++}`) });
