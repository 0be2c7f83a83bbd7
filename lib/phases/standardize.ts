/**
 * Robust standardisation of metric series, so that metrics on very different scales (a density
 * of 0.01, a loss of 3, a path length of 100) weigh alike in a multivariate change-point cost.
 *
 * Centre: the median. Scale: the noise level of the series, not its total spread: the median
 * absolute deviation (MAD) of the first differences, times 1.4826 (the normal consistency factor),
 * divided by √2 (a difference of two independent noises has √2 times their standard deviation).
 * A mean shift touches only one difference, and a steady trend only moves the median difference,
 * so neither inflates the scale the way the ordinary standard deviation would.
 */

/** 1 / Φ⁻¹(3/4): makes the MAD a consistent estimator of a normal standard deviation. */
export const MAD_TO_SD = 1.482602218505602;

export interface StandardizedSeries {
  /** [n][kept.length] standardised values, (x − center) / scale. */
  values: number[][];
  /** Column indices of the input that were kept (not constant). */
  kept: number[];
  /** Per kept column: its median. */
  center: number[];
  /** Per kept column: its robust noise scale (always > 0). */
  scale: number[];
  /** Column indices dropped, with the reason. */
  dropped: { column: number; reason: string }[];
}

export function median(values: ArrayLike<number>): number {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  if (n === 0) return NaN;
  return n % 2 === 1 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/** Median absolute deviation from the median (raw, without the normal factor). */
export function mad(values: ArrayLike<number>): number {
  const m = median(values);
  return median(Array.from(values, (v) => Math.abs(v - m)));
}

/**
 * Robust noise standard deviation of one series: MAD of first differences · 1.4826 / √2. When
 * more than half the differences are equal (a metric that moves rarely, e.g. a count), the MAD is
 * 0 and the standard deviation of the differences / √2 is used instead; 0 means constant.
 */
export function noiseScale(series: ArrayLike<number>): number {
  const n = series.length;
  if (n < 2) return 0;
  const diffs = new Float64Array(n - 1);
  for (let t = 1; t < n; t++) diffs[t - 1] = series[t] - series[t - 1];
  const robust = (mad(diffs) * MAD_TO_SD) / Math.SQRT2;
  if (robust > 0) return robust;
  let mean = 0;
  for (const v of diffs) mean += v / diffs.length;
  let ss = 0;
  for (const v of diffs) ss += (v - mean) ** 2;
  const sd = diffs.length > 1 ? Math.sqrt(ss / (diffs.length - 1)) : Math.abs(diffs[0]);
  return sd / Math.SQRT2;
}

/**
 * Standardises every column of series ([n][d], rows in time order) robustly; constant columns
 * (noise scale 0) are dropped, since they can carry no change.
 */
export function robustStandardize(series: number[][]): StandardizedSeries {
  const n = series.length;
  const d = n > 0 ? series[0].length : 0;
  const kept: number[] = [];
  const center: number[] = [];
  const scale: number[] = [];
  const dropped: { column: number; reason: string }[] = [];
  for (let j = 0; j < d; j++) {
    const column = series.map((row) => row[j]);
    const s = noiseScale(column);
    const relativeFloor = 1e-12 * Math.max(...column.map(Math.abs));
    if (!(s > relativeFloor)) {
      dropped.push({ column: j, reason: 'constant over all checkpoints' });
      continue;
    }
    kept.push(j);
    center.push(median(column));
    scale.push(s);
  }
  const values = series.map((row) => kept.map((j, k) => (row[j] - center[k]) / scale[k]));
  return { values, kept, center, scale, dropped };
}

/**
 * Pooled within-segment standard deviation of each column given boundaries (row indices where a
 * new segment starts): √(Σ residual² / (n − #segments)). 0 when there are no degrees of freedom.
 * columns: [d][n]
 */
export function pooledResidualScale(columns: number[][], boundaries: number[]): number[] {
  return columns.map((column) => {
    const n = column.length;
    const edges = [0, ...boundaries, n];
    let ss = 0;
    for (let k = 0; k + 1 < edges.length; k++) {
      const s = edges[k];
      const t = edges[k + 1];
      let mean = 0;
      for (let r = s; r < t; r++) mean += column[r] / (t - s);
      for (let r = s; r < t; r++) ss += (column[r] - mean) ** 2;
    }
    const dof = n - (edges.length - 1);
    return dof > 0 ? Math.sqrt(ss / dof) : 0;
  });
}

