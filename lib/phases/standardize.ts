/**
 * Robust standardisation of metric series, so that metrics on very different scales (a density
 * of 0.01, a loss of 3, a path length of 100) weigh alike in a multivariate change-point cost.
 *
 * Centre: the median. Scale: the noise level of the series, not its total spread.
 * - Constant model: the median absolute deviation (MAD) of the first differences, times 1.4826
 *   (the normal consistency factor), divided by √2 (a difference of two independent noises has
 *   √2 times their standard deviation). A mean shift touches only one difference.
 * - Linear model: a trimmed root mean square of the local-line residuals — each interior point
 *   minus the straight line through its two neighbours on the time axis, divided by its standard
 *   deviation in units of the noise's (√(1 + w₁² + w₂²), w the interpolation weights). A straight
 *   trend leaves these residuals untouched whatever its slope and however uneven the spacing; a
 *   knot touches one residual and a level shift two, and the largest quarter is left out.
 *   (Second differences, the even-spacing special case, would be biased by a trend on Pythia's
 *   uneven grid.) The MAD would do too, but its 37% efficiency makes one metric in several look
 *   half as noisy as it is on 20–50 checkpoints, and its gains then four times too large: in
 *   simulation that, not the penalty, set the false-boundary rate.
 * Neither a trend nor a few changes inflate the scale the way the ordinary standard deviation would.
 */
import { parametersPerMetric, segmentCost } from './costs.js';
import type { SegmentModel } from './costs.js';

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

/** Share of the smallest |residuals| the trimmed scale keeps. */
export const TRIM_KEEP = 0.75;

/**
 * 1 / √E[Z² | |Z| ≤ q] for Z standard normal and q = Φ⁻¹((1 + TRIM_KEEP) / 2) = 1.15035: makes
 * the root mean square of the smallest 75% of |Z| a consistent estimator of the standard deviation.
 * E[Z²; |Z| ≤ q] = 0.75 − 2qφ(q) = 0.276393, so the factor is √(0.75 / 0.276393).
 */
export const TRIMMED_TO_SD = 1.6472787;

/**
 * Trimmed root mean square of values (the smallest TRIM_KEEP share by magnitude), scaled to
 * estimate a normal standard deviation.
 */
export function trimmedScale(values: ArrayLike<number>): number {
  const squares = Float64Array.from(values, (v) => v * v).sort();
  const keep = Math.max(1, Math.floor(TRIM_KEEP * squares.length));
  let ss = 0;
  for (let i = 0; i < keep; i++) ss += squares[i];
  return Math.sqrt(ss / keep) * TRIMMED_TO_SD;
}

/**
 * Robust noise standard deviation of a series that may trend: the trimmed scale (`trimmedScale`)
 * of the residuals of each interior point from the line through its neighbours (on the time axis
 * x, default the index), each divided by its noise multiple √(1 + w₁² + w₂²). When that is 0 (more
 * than three quarters of the residuals vanish: a series that is piecewise exactly linear, or a
 * count that rarely moves) the root mean square of all the residuals is used; 0 means exactly linear.
 */
export function trendNoiseScale(series: ArrayLike<number>, x?: ArrayLike<number>): number {
  const n = series.length;
  if (n < 3) return 0;
  const at = (t: number): number => (x ? x[t] : t);
  const residuals = new Float64Array(n - 2);
  for (let t = 1; t + 1 < n; t++) {
    const gap = at(t + 1) - at(t - 1);
    const after = (at(t) - at(t - 1)) / gap; // weight of the right neighbour
    const line = (1 - after) * series[t - 1] + after * series[t + 1];
    residuals[t - 1] = (series[t] - line) / Math.sqrt(1 + after * after + (1 - after) * (1 - after));
  }
  const robust = trimmedScale(residuals);
  if (robust > 0) return robust;
  let ss = 0;
  for (const r of residuals) ss += r * r;
  return Math.sqrt(ss / residuals.length);
}

/**
 * Standardises every column of series ([n][d], rows in time order) robustly, with the noise scale
 * of the segment model (`noiseScale` for constant, `trendNoiseScale` on the axis x for linear);
 * constant columns (noise scale 0) are dropped, since they can carry no change.
 */
export function robustStandardize(series: number[][], model: SegmentModel = 'constant', x?: readonly number[]): StandardizedSeries {
  const n = series.length;
  const d = n > 0 ? series[0].length : 0;
  const kept: number[] = [];
  const center: number[] = [];
  const scale: number[] = [];
  const dropped: { column: number; reason: string }[] = [];
  for (let j = 0; j < d; j++) {
    const column = series.map((row) => row[j]);
    const s = model === 'linear' ? trendNoiseScale(column, x) : noiseScale(column);
    const relativeFloor = 1e-12 * Math.max(...column.map(Math.abs));
    if (!(s > relativeFloor)) {
      dropped.push({ column: j, reason: model === 'linear' ? 'exactly linear over all checkpoints (no noise to scale by)' : 'constant over all checkpoints' });
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
 * new segment starts): √(Σ residual² / (n − k·#segments)), the residuals around each segment's
 * fit (its mean, k = 1, or its least-squares line on x, k = 2). 0 when there are no degrees of
 * freedom. columns: [d][n]
 */
export function pooledResidualScale(columns: number[][], boundaries: number[], model: SegmentModel = 'constant', x?: readonly number[]): number[] {
  return columns.map((column) => {
    const n = column.length;
    const cost = segmentCost(model, column.map((v) => [v]), x);
    const edges = [0, ...boundaries, n];
    let ss = 0;
    for (let k = 0; k + 1 < edges.length; k++) ss += cost.columnCost(edges[k], edges[k + 1], 0);
    const dof = n - parametersPerMetric(model) * (edges.length - 1);
    return dof > 0 ? Math.sqrt(ss / dof) : 0;
  });
}

/** Residuals of each segment's fit (its mean, or its least-squares line on x), column by column. columns: [d][n]. */
export function segmentResiduals(column: readonly number[], boundaries: readonly number[], model: SegmentModel, x?: readonly number[]): number[] {
  const n = column.length;
  const time = x ?? column.map((_, t) => t);
  const cost = segmentCost(model, column.map((v) => [v]), time);
  const unit = n > 1 ? (time[n - 1] - time[0]) / (n - 1) : 1;
  const edges = [0, ...boundaries, n];
  const residuals = new Array<number>(n);
  for (let k = 0; k + 1 < edges.length; k++) {
    const s = edges[k];
    const fit = cost.fit(s, edges[k + 1]);
    for (let t = s; t < edges[k + 1]; t++) residuals[t] = column[t] - (fit.first[0] + fit.slope[0] * ((time[t] - time[s]) / unit));
  }
  return residuals;
}

/** Bartlett-kernel bandwidth of the long-run variance, Newey & West (1994): ⌊4 (n/100)^(2/9)⌋, at least 1. */
export function longRunBandwidth(n: number): number {
  return Math.max(1, Math.floor(4 * (n / 100) ** (2 / 9)));
}

/**
 * The long-run noise scale of each column given boundaries: the pooled residual standard
 * deviation (`pooledResidualScale`) times √(1 + 2 Σₖ wₖ ρₖ) when that factor exceeds 1, where ρₖ
 * is the lag-k autocorrelation of the residuals within segments and wₖ = 1 − k/(L+1) the Bartlett
 * weights up to the bandwidth L (Newey & West 1987, 1994). Why: learning curves bend smoothly, and
 * a straight line per phase leaves residuals that run in long waves; those are not independent
 * noise, and treating them as such makes every bend a boundary. Serially correlated errors in
 * broken-trend regression are handled this way by Bai & Perron (2003). Independent noise gives a
 * factor near 1 (never below: negative autocorrelation does not shrink the scale).
 */
export function longRunResidualScale(columns: number[][], boundaries: number[], model: SegmentModel = 'linear', x?: readonly number[]): number[] {
  const white = pooledResidualScale(columns, boundaries, model, x);
  return columns.map((column, j) => {
    const n = column.length;
    const residuals = segmentResiduals(column, boundaries, model, x);
    const segmentOf = new Int32Array(n);
    boundaries.forEach((b) => { for (let t = b; t < n; t++) segmentOf[t]++; });
    let gamma0 = 0;
    for (const r of residuals) gamma0 += r * r;
    if (!(gamma0 > 0)) return white[j];
    const L = longRunBandwidth(n);
    let factor = 1;
    for (let k = 1; k <= L; k++) {
      let gamma = 0;
      for (let t = k; t < n; t++) if (segmentOf[t] === segmentOf[t - k]) gamma += residuals[t] * residuals[t - k];
      factor += 2 * (1 - k / (L + 1)) * (gamma / gamma0);
    }
    return white[j] * Math.sqrt(Math.max(1, factor));
  });
}
