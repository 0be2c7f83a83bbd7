/**
 * Multivariate change-point detection on robustly standardised metric series.
 *
 * Model (`model`): within a phase every metric follows its own straight line on the time axis
 * (`linear`, the default: a learning phase is a regime with its own rate of change) or its own
 * constant level (`constant`); see costs.ts. A segmentation is scored by the residual sum of
 * squares of those fits, summed over metrics, plus a penalty β per boundary.
 *
 * - PELT (Killick, Fearnhead & Eckley, "Optimal detection of changepoints with a linear
 *   computational cost", JASA 2012) finds the exact minimiser of cost + β·(number of boundaries),
 *   pruning candidates that can never again be optimal.
 * - Binary segmentation (Scott & Knott 1974; Vostrikova 1981) greedily splits the segment whose
 *   best split lowers the cost the most, while that gain exceeds β. Faster to reason about, not exact.
 *
 * `detectChangePoints` does the standardisation (see standardize.ts), the default penalty (see
 * `defaultPenalty`) and the re-estimation of the noise scale from the fitted residuals.
 */
import { OptionError } from '../util/errors.js';
import { L2Cost, parametersPerMetric, segmentCost, SEGMENT_MODELS } from './costs.js';
import type { SegmentCost, SegmentModel } from './costs.js';
import { refineBoundaries } from './refine.js';
import type { BoundaryShape } from './refine.js';
import { longRunResidualScale, robustStandardize, pooledResidualScale } from './standardize.js';
import type { ChangePointMethod, ChangePointOptions, ChangePointResult, NoiseModel } from './types.js';

/** Default minimum number of checkpoints per segment (also the least the linear model allows). */
export const DEFAULT_MIN_SIZE = 3;

/** The default noise model of the scale re-estimation (see `longRunResidualScale`). */
export const DEFAULT_NOISE: NoiseModel = 'white';

/** The default segment model. */
export const DEFAULT_MODEL: SegmentModel = 'linear';

/**
 * x = ln(n) + PENALTY_OFFSET[model] in the default penalty (see `defaultPenalty`). Calibrated by
 * simulation (docs/phases.md, "Penalty"); e^−4 ≈ 0.018.
 */
export const PENALTY_OFFSET: Readonly<Record<SegmentModel, number>> = { constant: 4, linear: 4 };

/**
 * Small-sample factor of the default penalty, c(ν) = ν(ν−1) / ((ν−2)(ν−4)) with ν the degrees of
 * freedom of the noise scale (n − 1 for the constant model, n − 2 for the linear one; at least 5).
 * A metric's gain divided by a variance estimated with ν degrees of freedom is an F(1, ν) = t²_ν
 * variable rather than χ²_1; the scaled χ²_1 with the same first two moments is c(ν)·χ²_1 (with
 * slightly fewer degrees of freedom, ignored, which errs on the safe side). c → 1 as n grows:
 * 1.34 at ν = 19, 1.07 at ν = 79, 1.03 at ν = 153.
 */
export function smallSampleFactor(n: number, model: SegmentModel = 'constant'): number {
  const nu = Math.max(n - parametersPerMetric(model), 5);
  return (nu * (nu - 1)) / ((nu - 2) * (nu - 4));
}

/**
 * The default penalty per boundary for d standardised metrics over n checkpoints, with
 * p = d·k parameters per boundary (k = 1 constant, 2 linear: intercept and slope):
 *
 *   β = c(ν) · (p + 2·√(p·x) + 2·x),   x = ln(n) + offset (4 for both models).
 *
 * Why: with no change, the cost saved by the best split at a given position is χ²_p (each
 * standardised metric contributes one χ²_1 per parameter its segments refit). Laurent & Massart
 * (2000, Lemma 1) bound its tail: P(χ²_p ≥ p + 2√(p·x) + 2x) ≤ e^(−x). Taking x = ln(n) + offset
 * pays for the ~n positions searched (the log n of BIC) and leaves e^(−offset) for the rest. The
 * leading p is the average saving that noisy metrics give any split, and only the margin above
 * it, 2√(p·x) + 2x, grows with d — like √d. BIC's p·ln(n) would instead bury a change carried by
 * a few metrics under the noise allowance of all of them. c(ν) (`smallSampleFactor`) pays for
 * the noise scale being estimated from the same n checkpoints. Checked by simulation on Gaussian
 * noise and trends, n = 20…154, d = 1…20 (docs/phases.md, "Penalty").
 */
export function defaultPenalty(n: number, d: number, model: SegmentModel = DEFAULT_MODEL): number {
  if (!(n >= 1) || !(d >= 1)) throw new Error(`defaultPenalty: need n >= 1 and d >= 1, got n=${n}, d=${d}`);
  if (!SEGMENT_MODELS.includes(model)) throw new OptionError('model', `must be linear or constant, got ${String(model)}`);
  const p = d * parametersPerMetric(model);
  const x = Math.log(n) + PENALTY_OFFSET[model];
  return smallSampleFactor(n, model) * (p + 2 * Math.sqrt(p * x) + 2 * x);
}

/** The formula of `defaultPenalty`, for reports. */
export function penaltyFormula(model: SegmentModel): string {
  const k = parametersPerMetric(model);
  return `c * (p + 2*sqrt(p*x) + 2*x), p = ${k === 1 ? 'd' : `${k}d`} (${model} model), x = ln(n) + ${PENALTY_OFFSET[model]}, ` +
    `c = v(v-1)/((v-2)(v-4)) with v = max(n-${k}, 5); n checkpoints, d metrics`;
}

/** The search's input: raw rows (the constant model's cost is built on them) or a ready cost. */
type SearchInput = readonly (readonly number[])[] | SegmentCost;

function toCost(input: SearchInput, who: string): SegmentCost {
  if (!Array.isArray(input)) return input as SegmentCost;
  const data = input as readonly (readonly number[])[];
  for (const row of data) {
    for (const v of row) if (!Number.isFinite(v)) throw new Error(`${who}: data must be finite numbers, got ${v}`);
  }
  return new L2Cost(data);
}

/**
 * PELT: exact minimiser of Σ segment cost + β·(#boundaries), with segments of at least minSize
 * rows. Returns the boundaries as row indices (each the first row of a new segment), ascending.
 * input: standardised rows [n][d] (constant model) or a SegmentCost.
 */
export function pelt(input: SearchInput, penalty: number, minSize = DEFAULT_MIN_SIZE): number[] {
  checkSearchArgs(penalty, minSize);
  const cost = toCost(input, 'pelt');
  const n = cost.n;
  if (n < 2 * minSize) return [];
  // best[t]: minimal penalised cost of rows [0, t) cut into admissible segments, with the
  // convention best[0] = −β so that every segment, the first included, pays β once.
  const best = new Float64Array(n + 1).fill(Infinity);
  const lastStart = new Int32Array(n + 1).fill(-1);
  best[0] = -penalty;
  // Candidate last boundaries. A candidate s pruned at time t is dominated by t only for ends
  // T ≥ t + minSize (a segment [t, T) must be admissible), so it stays usable until then.
  let candidates: { s: number; prunedAt: number }[] = [];
  for (let t = minSize; t <= n; t++) {
    // s = t − minSize becomes a valid candidate now (it is a reachable end, or 0).
    const fresh = t - minSize;
    if (fresh === 0 || (fresh >= minSize && Number.isFinite(best[fresh]))) {
      candidates.push({ s: fresh, prunedAt: Infinity });
    }
    let bestValue = Infinity;
    let bestStart = -1;
    const costs = new Float64Array(candidates.length);
    for (let i = 0; i < candidates.length; i++) {
      const { s } = candidates[i];
      const value = best[s] + cost.cost(s, t) + penalty;
      costs[i] = value - penalty;
      // Strict < keeps the earliest start on exact ties: deterministic.
      if (value < bestValue) {
        bestValue = value;
        bestStart = s;
      }
    }
    best[t] = bestValue;
    lastStart[t] = bestStart;
    // Pruning (Killick et al. 2012, Theorem 3.1 with K = 0, valid because
    // C(a,b) + C(b,c) ≤ C(a,c)): if best[s] + C(s,t) ≥ best[t], s never beats t again.
    const kept: { s: number; prunedAt: number }[] = [];
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i];
      if (c.prunedAt === Infinity && costs[i] >= bestValue) c.prunedAt = t;
      if (t + 1 < c.prunedAt + minSize) kept.push(c);
    }
    candidates = kept;
  }
  return backtrack(lastStart, n);
}

/**
 * Optimal partitioning (Jackson et al. 2005): the same minimiser as PELT without pruning, O(n²).
 * Kept as the reference PELT is tested against.
 */
export function optimalPartitioning(input: SearchInput, penalty: number, minSize = DEFAULT_MIN_SIZE): number[] {
  checkSearchArgs(penalty, minSize);
  const cost = toCost(input, 'optimalPartitioning');
  const n = cost.n;
  if (n < 2 * minSize) return [];
  const best = new Float64Array(n + 1).fill(Infinity);
  const lastStart = new Int32Array(n + 1).fill(-1);
  best[0] = -penalty;
  for (let t = minSize; t <= n; t++) {
    for (let s = 0; s <= t - minSize; s++) {
      if (s !== 0 && s < minSize) continue;
      if (!Number.isFinite(best[s])) continue;
      const value = best[s] + cost.cost(s, t) + penalty;
      if (value < best[t]) {
        best[t] = value;
        lastStart[t] = s;
      }
    }
  }
  return backtrack(lastStart, n);
}

/**
 * Binary segmentation with a penalty stop: repeatedly split, at its best position, the segment
 * whose best split saves the most cost, while that saving exceeds β. Returns the boundaries as
 * row indices, ascending.
 */
export function binarySegmentation(input: SearchInput, penalty: number, minSize = DEFAULT_MIN_SIZE): number[] {
  checkSearchArgs(penalty, minSize);
  const cost = toCost(input, 'binarySegmentation');
  const n = cost.n;
  const boundaries: number[] = [];
  const segments: [number, number][] = [[0, n]];
  for (;;) {
    let bestGain = -Infinity;
    let bestSegment = -1;
    let bestSplit = -1;
    segments.forEach(([s, t], k) => {
      const split = bestSplitOf(cost, s, t, minSize);
      if (split && split.gain > bestGain) {
        bestGain = split.gain;
        bestSegment = k;
        bestSplit = split.at;
      }
    });
    if (bestSegment < 0 || !(bestGain > penalty)) break;
    const [s, t] = segments[bestSegment];
    segments.splice(bestSegment, 1, [s, bestSplit], [bestSplit, t]);
    boundaries.push(bestSplit);
  }
  return boundaries.sort((a, b) => a - b);
}

/** The split of [s, t) that saves the most cost, both sides at least minSize long. */
function bestSplitOf(cost: SegmentCost, s: number, t: number, minSize: number): { at: number; gain: number } | null {
  const whole = cost.cost(s, t);
  let best: { at: number; gain: number } | null = null;
  for (let tau = s + minSize; tau <= t - minSize; tau++) {
    const gain = whole - cost.cost(s, tau) - cost.cost(tau, t);
    if (!best || gain > best.gain) best = { at: tau, gain };
  }
  return best;
}

function backtrack(lastStart: Int32Array, n: number): number[] {
  const boundaries: number[] = [];
  let t = n;
  while (t > 0) {
    const s = lastStart[t];
    if (s < 0) throw new Error('change points: no admissible segmentation (internal error)');
    if (s > 0) boundaries.push(s);
    t = s;
  }
  return boundaries.reverse();
}

function checkSearchArgs(penalty: number, minSize: number): void {
  if (!Number.isInteger(minSize) || minSize < 1) throw new OptionError('minSize', `must be an integer >= 1, got ${minSize}`);
  if (!(penalty >= 0) || !Number.isFinite(penalty)) throw new OptionError('penalty', `must be a finite number >= 0, got ${penalty}`);
}

/** Runs the chosen search. */
export function searchChangePoints(input: SearchInput, method: ChangePointMethod, penalty: number, minSize: number): number[] {
  switch (method) {
    case 'pelt': return pelt(input, penalty, minSize);
    case 'binseg': return binarySegmentation(input, penalty, minSize);
    default: throw new OptionError('method', `must be pelt or binseg, got ${String(method)}`);
  }
}

/** Checks the options of `detectChangePoints` and fills in the defaults (but the penalty). */
export function resolveChangePointOptions(options: ChangePointOptions): { method: ChangePointMethod; model: SegmentModel; minSize: number; maxRefinements: number; noise: NoiseModel } {
  const method = options.method ?? 'pelt';
  const model = options.model ?? DEFAULT_MODEL;
  const minSize = options.minSize ?? DEFAULT_MIN_SIZE;
  const maxRefinements = options.maxRefinements ?? 3;
  const noise = options.noise ?? DEFAULT_NOISE;
  if (noise !== 'white' && noise !== 'long-run') throw new OptionError('noise', `must be white or long-run, got ${String(noise)}`);
  if (method !== 'pelt' && method !== 'binseg') throw new OptionError('method', `must be pelt or binseg, got ${String(method)}`);
  if (!SEGMENT_MODELS.includes(model)) throw new OptionError('model', `must be linear or constant, got ${String(model)}`);
  if (!Number.isInteger(minSize) || minSize < 1) throw new OptionError('minSize', `must be an integer >= 1, got ${minSize}`);
  if (model === 'linear' && minSize < 3) {
    throw new OptionError('minSize', `must be at least 3 with the linear model (a line through ${minSize} point(s) leaves no residual to judge it by), got ${minSize}`);
  }
  if (!Number.isInteger(maxRefinements) || maxRefinements < 0) throw new OptionError('maxRefinements', `must be an integer >= 0, got ${maxRefinements}`);
  return { method, model, minSize, maxRefinements, noise };
}

/**
 * Change points of a multivariate series. series: [n][d] raw values (rows = checkpoints in time
 * order); options.x: the time axis value of each row (default: the row index), which the linear
 * model regresses on, so uneven checkpoint spacing is taken into account. Steps:
 * 1. robust standardisation of every column (median, and a noise scale that neither level shifts
 *    nor, for the linear model, trends inflate: see standardize.ts); constant columns are dropped;
 * 2. search (PELT by default) with the penalty β (default `defaultPenalty(n, d, model)`);
 * 3. the noise scale is re-estimated from the residuals of the segment fits of step 2 (pooled
 *    within-segment standard deviation: efficient, and unaffected by the changes), the series is
 *    re-standardised and searched again. Step 3 repeats until the boundaries stop changing (at
 *    most `maxRefinements` times).
 * The robust first scale alone is too noisy on 20–40 checkpoints (the MAD's efficiency is 37%):
 * one unlucky estimate inflates every gain of that metric. The residual scale is the efficient
 * estimate once the changes are known.
 */
export function detectChangePoints(series: number[][], options: ChangePointOptions = {}): ChangePointResult {
  const { method, model, minSize, maxRefinements, noise } = resolveChangePointOptions(options);
  const n = series.length;
  for (const row of series) {
    for (const v of row) if (!Number.isFinite(v)) throw new Error(`detectChangePoints: data must be finite numbers, got ${v}`);
  }
  const x = options.x ?? series.map((_, t) => t);
  if (x.length !== n) throw new OptionError('x', `has ${x.length} values for ${n} rows`);
  const standard = robustStandardize(series, model, x);
  const d = standard.kept.length;
  const penalty = options.penalty ?? (d > 0 ? defaultPenalty(n, d, model) : 0);
  if (!(penalty >= 0) || !Number.isFinite(penalty)) throw new OptionError('penalty', `must be a finite number >= 0, got ${penalty}`);
  let scale = standard.scale.slice();
  let boundaries: number[] = [];
  let shapes: BoundaryShape[] = [];
  let refinements = 0;
  const columns = standard.kept.map((j) => series.map((row) => row[j]));
  if (d > 0 && n >= 2 * minSize) {
    boundaries = searchChangePoints(segmentCost(model, standard.values, x), method, penalty, minSize);
    while (refinements < maxRefinements) {
      refinements++;
      const residualScale = noise === 'long-run' ? longRunResidualScale(columns, boundaries, model, x) : pooledResidualScale(columns, boundaries, model, x);
      const nextScale = residualScale.map((s, k) => (s > 0 ? s : standard.scale[k]));
      const rescaled = series.map((row) => standard.kept.map((j, k) => (row[j] - standard.center[k]) / nextScale[k]));
      const next = searchChangePoints(segmentCost(model, rescaled, x), method, penalty, minSize);
      scale = nextScale;
      const same = next.length === boundaries.length && next.every((b, i) => b === boundaries[i]);
      boundaries = next;
      if (same) break;
    }
    if (model === 'linear' && boundaries.length > 0) {
      const standardised = series.map((row) => standard.kept.map((j, k) => (row[j] - standard.center[k]) / scale[k]));
      ({ boundaries, shapes } = refineBoundaries(standardised, x, boundaries, minSize));
    } else {
      shapes = boundaries.map(() => 'jump');
    }
  }
  const fitCost = segmentCost(model, series, x);
  const starts = [0, ...boundaries];
  const ends = [...boundaries, n];
  const segments = starts.map((s, k) => {
    const fit = n > 0 ? fitCost.fit(s, ends[k]) : { mean: [], slope: [], first: [], last: [] };
    return { start: s, end: ends[k], means: fit.mean, slopes: fit.slope, first: fit.first, last: fit.last };
  });
  return {
    boundaries,
    shapes,
    segments,
    penalty,
    minSize,
    method,
    model,
    used: standard.kept,
    dropped: standard.dropped,
    center: standard.center,
    scale,
    refinements,
  };
}
