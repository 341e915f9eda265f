// Percentiles and rounding for the report.
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

export const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits;

export function latencySummary(values: readonly number[]): {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  samples: number;
} {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted[sorted.length - 1] ?? 0),
    samples: sorted.length,
  };
}

export const stopwatch = (): (() => number) => {
  const started = performance.now();
  return () => (performance.now() - started) / 1000;
};
