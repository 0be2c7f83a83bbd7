/**
 * Multivariate change-point detection in the mean, on robustly standardised metric series.
 *
 * Model: the n × d series (rows = checkpoints in order, columns = metrics) is piecewise constant in
 * its mean plus noise; a segmentation is scored by the L2 cost (residual sum of squares around each
 * segment's mean, summed over metrics) plus a penalty β per boundary.
 *
 * - PELT (Killick, Fearnhead & Eckley, "Optimal detection of changepoints with a linear
 *   computational cost", JASA 2012) finds the exact minimiser of cost + β·(number of boundaries),
 *   pruning candidates that can never again be optimal.
 * - Binary segmentation (Scott & Knott 1974; Vostrikova 1981) greedily splits the segment whose
 *   best split lowers the cost the most, while that gain exceeds β. Faster to reason about, not exact.
 *
 * Both work on already standardised data; `detectChangePoints` does the standardisation (see
 * standardize.ts) and the default penalty (see `defaultPenalty`).
 */
import { OptionError } from '../util/errors.js';
import { robustStandardize, pooledResidualScale } from './standardize.js';
import type { ChangePointMethod, ChangePointOptions, ChangePointResult } from './types.js';

/** Default minimum number of checkpoints per segment. */
export const DEFAULT_MIN_SIZE = 3;

/** x = ln(n) + PENALTY_OFFSET in the default penalty (see `defaultPenalty`); e^−4 ≈ 0.018. */
export const PENALTY_OFFSET = 4;

/**
 * Prefix sums of each column and of its square, so the L2 cost of any segment is O(d).
 * data: [n][d]
 */
export class L2Cost {
  readonly n: number;
  readonly d: number;
  private readonly sum: Float64Array; // [(n + 1) * d]
  private readonly sumSq: Float64Array; // [(n + 1) * d]

  constructor(data: number[][]) {
    this.n = data.length;
    this.d = this.n > 0 ? data[0].length : 0;
    const { n, d } = this;
    this.sum = new Float64Array((n + 1) * d);
    this.sumSq = new Float64Array((n + 1) * d);
    for (let t = 0; t < n; t++) {
      const row = data[t];
      if (row.length !== d) throw new Error(`L2Cost: row ${t} has ${row.length} values, expected ${d}`);
      for (let j = 0; j < d; j++) {
        const v = row[j];
        this.sum[(t + 1) * d + j] = this.sum[t * d + j] + v;
        this.sumSq[(t + 1) * d + j] = this.sumSq[t * d + j] + v * v;
      }
    }
  }

  /** Residual sum of squares of rows [s, t) around their mean, summed over columns. */
  cost(s: number, t: number): number {
    const len = t - s;
    if (len <= 0) return 0;
    const { d } = this;
    let total = 0;
    for (let j = 0; j < d; j++) {
      const sx = this.sum[t * d + j] - this.sum[s * d + j];
      const sxx = this.sumSq[t * d + j] - this.sumSq[s * d + j];
      total += sxx - (sx * sx) / len;
    }
    // Rounding can make an exactly constant segment's cost a tiny negative number.
    return total > 0 ? total : 0;
  }

  /** Mean of each column over rows [s, t). */
  mean(s: number, t: number): number[] {
    const { d } = this;
    const out = new Array<number>(d);
    for (let j = 0; j < d; j++) out[j] = (this.sum[t * d + j] - this.sum[s * d + j]) / (t - s);
    return out;
  }
}

/**
 * Small-sample factor of the default penalty, c(ν) = ν(ν−1) / ((ν−2)(ν−4)) with ν = n − 1 (at
 * least 5). A metric's gain divided by a variance estimated with ν degrees of freedom is an
 * F(1, ν) = t²_ν variable rather than χ²_1; the scaled χ²_1 with the same first two moments is
 * c(ν)·χ²_1 (with slightly fewer degrees of freedom, ignored, which errs on the safe side).
 * c → 1 as n grows: 1.34 at n = 20, 1.07 at n = 80, 1.03 at n = 154.
 */
export function smallSampleFactor(n: number): number {
  const nu = Math.max(n - 1, 5);
  return (nu * (nu - 1)) / ((nu - 2) * (nu - 4));
}

/**
 * The default penalty per boundary for d standardised metrics over n checkpoints:
 *
 *   β = c(n − 1) · (d + 2·√(d·x) + 2·x),   x = ln(n) + 4.
 *
 * Why: with no change, the cost saved by the best split at a given position is χ²_d (each
 * standardised metric contributes one χ²_1). Laurent & Massart (2000, Lemma 1) bound its tail:
 * P(χ²_d ≥ d + 2√(d·x) + 2x) ≤ e^(−x). Taking x = ln(n) + 4 pays for the ~n positions searched
 * (the log n of BIC) and leaves e^(−4) for the rest. The leading d is the average saving that d
 * noisy metrics give any split, and only the margin above it, 2√(d·x) + 2x, grows with d — like
 * √d. BIC's d·ln(n) would instead bury a shift carried by a few metrics under the noise allowance
 * of all of them. c(ν) (`smallSampleFactor`) pays for the noise scale being estimated from the
 * same n checkpoints. Checked by simulation on Gaussian noise, n = 20…154, d = 1…20
 * (docs/phases.md, "Penalty").
 */
export function defaultPenalty(n: number, d: number): number {
  if (!(n >= 1) || !(d >= 1)) throw new Error(`defaultPenalty: need n >= 1 and d >= 1, got n=${n}, d=${d}`);
  const x = Math.log(n) + PENALTY_OFFSET;
  return smallSampleFactor(n) * (d + 2 * Math.sqrt(d * x) + 2 * x);
}

/** The formula of `defaultPenalty`, for reports. */
export const DEFAULT_PENALTY_FORMULA =
  `c * (d + 2*sqrt(d*x) + 2*x), x = ln(n) + ${PENALTY_OFFSET}, c = v(v-1)/((v-2)(v-4)) with v = max(n-1, 5); n checkpoints, d metrics`;

/**
 * PELT: exact minimiser of Σ segment L2 cost + β·(#boundaries), with segments of at least
 * minSize rows. Returns the boundaries as row indices (each the first row of a new segment),
 * ascending. data: [n][d], already standardised.
 */
export function pelt(data: number[][], penalty: number, minSize = DEFAULT_MIN_SIZE): number[] {
  checkSearchArgs(data, penalty, minSize, 'pelt');
  const cost = new L2Cost(data);
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
    // Pruning (Killick et al. 2012, Theorem 3.1 with K = 0, valid for the L2 cost because
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
export function optimalPartitioning(data: number[][], penalty: number, minSize = DEFAULT_MIN_SIZE): number[] {
  checkSearchArgs(data, penalty, minSize, 'optimalPartitioning');
  const cost = new L2Cost(data);
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
 * row indices, ascending. data: [n][d], already standardised.
 */
export function binarySegmentation(data: number[][], penalty: number, minSize = DEFAULT_MIN_SIZE): number[] {
  checkSearchArgs(data, penalty, minSize, 'binarySegmentation');
  const cost = new L2Cost(data);
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

/** The split of [s, t) that saves the most L2 cost, both sides at least minSize long. */
function bestSplitOf(cost: L2Cost, s: number, t: number, minSize: number): { at: number; gain: number } | null {
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

function checkSearchArgs(data: number[][], penalty: number, minSize: number, who: string): void {
  if (!Number.isInteger(minSize) || minSize < 1) throw new OptionError('minSize', `must be an integer >= 1, got ${minSize}`);
  if (!(penalty >= 0) || !Number.isFinite(penalty)) throw new OptionError('penalty', `must be a finite number >= 0, got ${penalty}`);
  for (const row of data) {
    for (const v of row) if (!Number.isFinite(v)) throw new Error(`${who}: data must be finite numbers, got ${v}`);
  }
}

/** Runs the chosen search on standardised data. */
export function searchChangePoints(data: number[][], method: ChangePointMethod, penalty: number, minSize: number): number[] {
  switch (method) {
    case 'pelt': return pelt(data, penalty, minSize);
    case 'binseg': return binarySegmentation(data, penalty, minSize);
    default: throw new OptionError('method', `must be pelt or binseg, got ${String(method)}`);
  }
}

/**
 * Change points of a multivariate series. series: [n][d] raw values (rows = checkpoints in time
 * order). Steps:
 * 1. robust standardisation of every column (median, and the noise scale from the MAD of first
 *    differences / √2, which a few mean shifts do not inflate); constant columns are dropped;
 * 2. search (PELT by default) with the penalty β (default `defaultPenalty(n, d)`);
 * 3. the noise scale is re-estimated from the residuals around the segment means of step 2
 *    (pooled within-segment standard deviation: efficient, and unaffected by the shifts), the
 *    series is re-standardised and searched again. Step 3 repeats until the boundaries stop
 *    changing (at most `maxRefinements` times).
 * The MAD alone is too noisy on 20–40 checkpoints (its efficiency is 37%): one unlucky estimate
 * inflates every gain of that metric. The residual scale is the efficient estimate once the
 * shifts are known.
 */
export function detectChangePoints(series: number[][], options: ChangePointOptions = {}): ChangePointResult {
  const method = options.method ?? 'pelt';
  const minSize = options.minSize ?? DEFAULT_MIN_SIZE;
  const maxRefinements = options.maxRefinements ?? 3;
  if (method !== 'pelt' && method !== 'binseg') throw new OptionError('method', `must be pelt or binseg, got ${String(method)}`);
  if (!Number.isInteger(minSize) || minSize < 1) throw new OptionError('minSize', `must be an integer >= 1, got ${minSize}`);
  const n = series.length;
  const standard = robustStandardize(series);
  const d = standard.kept.length;
  const penalty = options.penalty ?? (d > 0 ? defaultPenalty(n, d) : 0);
  if (!(penalty >= 0) || !Number.isFinite(penalty)) throw new OptionError('penalty', `must be a finite number >= 0, got ${penalty}`);
  let scale = standard.scale.slice();
  let boundaries: number[] = [];
  let refinements = 0;
  if (d > 0 && n >= 2 * minSize) {
    boundaries = searchChangePoints(standard.values, method, penalty, minSize);
    while (refinements < maxRefinements) {
      refinements++;
      const columns = standard.kept.map((j) => series.map((row) => row[j]));
      const residualScale = pooledResidualScale(columns, boundaries);
      const nextScale = residualScale.map((s, k) => (s > 0 ? s : standard.scale[k]));
      const rescaled = series.map((row) => standard.kept.map((j, k) => (row[j] - standard.center[k]) / nextScale[k]));
      const next = searchChangePoints(rescaled, method, penalty, minSize);
      scale = nextScale;
      const same = next.length === boundaries.length && next.every((b, i) => b === boundaries[i]);
      boundaries = next;
      if (same) break;
    }
  }
  const starts = [0, ...boundaries];
  const ends = [...boundaries, n];
  const segments = starts.map((s, k) => {
    const t = ends[k];
    const means = new Array<number>(series[0]?.length ?? 0).fill(0);
    for (let r = s; r < t; r++) series[r].forEach((v, j) => { means[j] += v; });
    return { start: s, end: t, means: means.map((sum) => sum / (t - s)) };
  });
  return {
    boundaries,
    segments,
    penalty,
    minSize,
    method,
    used: standard.kept,
    dropped: standard.dropped,
    center: standard.center,
    scale,
    refinements,
  };
}
