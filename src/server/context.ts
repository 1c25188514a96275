import type { Encoder } from '../encoders/encoder.js';
import type { FeatureSet } from './features.js';
import type { Library } from './library.js';
import type { ServerLimits } from './options.js';
import type { WorkQueue } from './queue.js';
import type { ClassifierCache } from './classifier-cache.js';

/** What route handlers share: built once per server by app.ts. */
export interface ServerContext {
  encoder: Encoder;
  library: Library;
  limits: ServerLimits;
  /** encoder and store work */
  queue: WorkQueue;
  /** thumbnail rendering (many small jobs per page of results) */
  thumbs: WorkQueue;
  features: FeatureSet;
  classifiers: ClassifierCache;
}
