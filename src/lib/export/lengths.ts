/** Lengths of the lines of one export in tokens: the manifest's `lengths`. */
export interface LengthSummary {
  lines: number;
  p50: number;
  p95: number;
  max: number;
  over_1k: number;
  over_4k: number;
  over_8k: number;
  over_16k: number;
}

/** Nearest-rank percentiles and threshold counts of line lengths in tokens. */
export function summarizeLengths(tokens: number[]): LengthSummary {
  const sorted = Float64Array.from(tokens).sort();
  const rank = (p: number) => (sorted.length ? sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]! : 0);
  const over = (n: number) => tokens.reduce((k, t) => k + (t > n ? 1 : 0), 0);
  return { lines: tokens.length, p50: rank(0.5), p95: rank(0.95), max: rank(1), over_1k: over(1024), over_4k: over(4096), over_8k: over(8192), over_16k: over(16384) };
}
