/**
 * What changed at a boundary, and how fast each phase moves: both read from straight-line fits of
 * the standardised metrics over each phase (the linear model's own fits; for the constant model
 * the same lines are fitted afterwards as a description).
 */
import { LinearCost } from './costs.js';
import type { BoundaryShape } from './refine.js';

export interface MetricChange {
  metric: string;
  /** The after-phase's line at the boundary minus the before-phase's line extrapolated to it, own units. */
  levelJump: number;
  /** Fitted change per checkpoint before and after (slope × that phase's mean checkpoint gap), own units. */
  slopeBefore: number;
  slopeAfter: number;
  /** This metric's share of the cost the boundary saves (0…1). */
  share: number;
}

export interface BoundaryChange {
  step: number;
  index: number;
  /** Continuous change of slope, or change with a level jump. */
  shape: BoundaryShape;
  /** Fraction of perturbed analyses that find the boundary again (null when not computed). */
  confidence: number | null;
  /** Cost saved by the boundary (standardised units) against the penalty it pays. */
  gain: number;
  penalty: number;
  /** Metrics by their share of the saving, largest first. */
  metrics: MetricChange[];
  /** One sentence: the largest changes. */
  summary: string;
}

/** The standardised columns of the detection: (value − centre) / scale, [n][used]. */
export function standardised(series: readonly (readonly number[])[], used: readonly number[], center: readonly number[], scale: readonly number[]): number[][] {
  return series.map((row) => used.map((j, k) => (row[j] - center[k]) / scale[k]));
}

/**
 * The mean gap between consecutive checkpoints of rows [s, t), in the cost's time unit (the mean
 * gap of the whole series): slopes times this are changes per checkpoint of that phase. On an
 * uneven axis (log-step over Pythia's grid) the late checkpoints sit far closer than the early
 * ones, and a slope per average gap would make a late phase's noise look like fast change.
 */
function localGap(x: readonly number[], s: number, t: number, unit: number): number {
  return t - s >= 2 ? (x[t - 1] - x[s]) / (t - s - 1) / unit : 0;
}

/** Slopes within this many standard errors of 0 count as flat in the phase speed. */
export const SLOPE_NOISE_BAND = 2;

/**
 * Speed of each phase [starts[i], ends[i]): the root mean square over columns of the change per
 * checkpoint of the standardised data (fitted slope × the phase's mean checkpoint gap), in noise
 * standard deviations per checkpoint; null for a one-checkpoint phase or without columns.
 * A fitted slope of pure noise is not 0: its standard error is 1 / √Σ(u − ū)² in these units, so
 * each metric counts only the part of its squared slope beyond two standard errors, b² − 4·SE²
 * floored at 0 (a slope within noise counts as flat). Otherwise a short flat phase, or one whose
 * checkpoints crowd together on the axis, would look fast merely because few points pin its line.
 */
export function trendSpeeds(data: readonly (readonly number[])[], x: readonly number[], starts: readonly number[], ends: readonly number[]): (number | null)[] {
  const d = data.length > 0 ? data[0].length : 0;
  if (d === 0) return starts.map(() => null);
  const cost = new LinearCost(data, x);
  return starts.map((s, i) => {
    if (ends[i] - s < 2) return null;
    const { slope } = cost.fit(s, ends[i]);
    const gap = localGap(x, s, ends[i], cost.unit);
    const spread = cost.timeSpread(s, ends[i]);
    const beyondNoise = spread > 0 ? SLOPE_NOISE_BAND ** 2 / spread : 0;
    const meanSquare = slope.reduce((a, b) => a + Math.max(0, b * b - beyondNoise), 0) / d;
    return Math.sqrt(meanSquare) * gap;
  });
}

function signed(v: number): string {
  const text = Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : v.toPrecision(3);
  return v > 0 ? `+${text}` : text;
}

/**
 * Describes the boundary at row b between phases [s, b) and [b, t). data: standardised [n][d];
 * raw: the same columns in their own units (for the numbers reported); names: column names.
 */
export function describeBoundary(
  data: readonly (readonly number[])[],
  raw: readonly (readonly number[])[],
  x: readonly number[],
  names: readonly string[],
  at: { s: number; b: number; t: number; step: number; shape: BoundaryShape; confidence: number | null; penalty: number },
): BoundaryChange {
  const { s, b, t } = at;
  const cost = new LinearCost(data, x);
  const rawCost = new LinearCost(raw, x);
  const before = rawCost.fit(s, b);
  const after = rawCost.fit(b, t);
  // The before-line extrapolated one checkpoint on: its value at b (slopes are per average gap).
  const gapUnits = (x[b] - x[b - 1]) / rawCost.unit;
  const savings = names.map((_, j) => Math.max(0, cost.columnCost(s, t, j) - cost.columnCost(s, b, j) - cost.columnCost(b, t, j)));
  const gain = savings.reduce((a, v) => a + v, 0);
  const gapBefore = localGap(x, s, b, rawCost.unit);
  const gapAfter = localGap(x, b, t, rawCost.unit);
  const metrics = names
    .map((metric, j) => ({
      metric,
      levelJump: after.first[j] - (before.last[j] + before.slope[j] * gapUnits),
      slopeBefore: before.slope[j] * gapBefore,
      slopeAfter: after.slope[j] * gapAfter,
      share: gain > 0 ? savings[j] / gain : 0,
    }))
    .sort((p, q) => q.share - p.share);
  const top = metrics.filter((m) => m.share >= 0.1).slice(0, 3);
  const parts = (top.length > 0 ? top : metrics.slice(0, 1)).map((m) => {
    const slopeText = `slope ${signed(m.slopeBefore)} → ${signed(m.slopeAfter)} per checkpoint`;
    const jumpText = at.shape === 'jump' ? `, level ${signed(m.levelJump)}` : '';
    return `${m.metric} (${slopeText}${jumpText}; ${(100 * m.share).toFixed(0)}%)`;
  });
  const kind = at.shape === 'knot' ? 'a change of rate' : 'a change of rate and level';
  return {
    step: at.step,
    index: b,
    shape: at.shape,
    confidence: at.confidence,
    gain,
    penalty: at.penalty,
    metrics,
    summary: `${kind}, led by ${parts.join('; ')}`,
  };
}
