/** Library thumbnails: longest side in px, enough for a grid of results in a UI. */
export const THUMBNAIL_SIZE = 128;

/**
 * WebP quality and encoder effort: ~2.5 KB per thumbnail. Effort 4 (sharp's default) took ~3 ms of CPU
 * per thumbnail; effort 0 is measured in bench/library-bench.ts and looks the same at 128 px.
 */
export const THUMBNAIL_WEBP = { quality: 60, effort: 0 } as const;
