// Order statistics of small samples (a drill has thousands of requests at most).

/** The q-quantile (0..1) by the nearest-rank method; undefined for no values. */
export function quantile(values: readonly number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1];
}

/** The median (the lower middle value of an even count, as a bench of three runs wants the middle one). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  return [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]!;
}
