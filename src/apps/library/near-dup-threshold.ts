/**
 * Cosine similarity from which two images count as near duplicates (resized, recompressed, lightly
 * cropped copies). Calibrated by scripts/calibrate-dupes.ts on synthetic variants of real photos.
 * PROVISIONAL until the default model exists: see the calibration log in that script's output.
 */
export const DEFAULT_NEAR_DUP_THRESHOLD = 0.95;
