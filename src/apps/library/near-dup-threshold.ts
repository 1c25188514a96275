/**
 * When two different files count as near duplicates (resized, recompressed, lightly cropped copies).
 * Calibrated with scripts/calibrate-dupes.ts on 300 Flickr8k dev photos and 8 kinds of synthetic copies.
 *
 * Embedding cosine: the default model's copies are NOT well separated from distinct photos (copies:
 * median 0.86, 1st percentile 0.18; a distinct photo's most similar other photo: median 0.71, 99.5th
 * percentile 0.93), so the threshold sits at the distinct photos' 99.5th percentile (precision first:
 * a wrong "delete this copy" costs more than a missed one). Recalibrate for another model and pass
 * --threshold.
 *
 * Perceptual hash (64 bits): resized and recompressed copies differ by at most 6 bits (99th pct 4),
 * 5% crops by 6 (median) to 14, distinct photos by at least 12 (1st percentile 16): 8 bits.
 */
export const DEFAULT_NEAR_DUP_THRESHOLD = 0.93;
export const DEFAULT_HASH_DISTANCE = 8;
