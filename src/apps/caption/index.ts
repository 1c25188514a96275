export { loadCaptioner, confidence, type Captioner, type CaptionerInternals, type CaptionOptions, type CaptionResult } from './captioner.js';
