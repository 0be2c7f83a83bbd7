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

/**
 * Keep only the shared candidates some search still uses (peltMany), renumbering the searches'
 * lists; returns the new count.
 */
function compactShared(starts: Int32Array, row: Int32Array, count: number, members: Int32Array[], memberCount: Int32Array, used: Uint8Array, remap: Int32Array): number {
  used.fill(0, 0, count);
  members.forEach((mine, p) => {
    for (let j = 0; j < memberCount[p]; j++) used[mine[j]] = 1;
  });
  let kept = 0;
  for (let i = 0; i < count; i++) {
    if (!used[i]) continue;
    remap[i] = kept;
    starts[kept] = starts[i];
    row[kept] = row[i];
    kept++;
  }
  members.forEach((mine, p) => {
    for (let j = 0; j < memberCount[p]; j++) mine[j] = remap[mine[j]];
  });
  return kept;
}

/** Ends per block of costs in PELT (see there). */
const PELT_BLOCK = 16;

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
  return peltMany(toCost(input, 'pelt'), [penalty], minSize)[0];
}

/**
 * PELT for several penalties on one cost, in one pass: for each penalty exactly `pelt`'s search
 * (its own optimum, candidates and pruning), with each segment cost computed once for all of them.
 * A penalty sweep (confidence.ts) asks the same cost for many penalties; in a long stretch without
 * change every search keeps thousands of candidates (see below), and sharing their costs is most
 * of the work.
 */
export function peltMany(cost: SegmentCost, penalties: readonly number[], minSize = DEFAULT_MIN_SIZE): number[][] {
  for (const penalty of penalties) checkSearchArgs(penalty, minSize);
  const n = cost.n;
  const P = penalties.length;
  if (n < 2 * minSize || P === 0) return penalties.map(() => []);
  // best[p][t]: minimal penalised cost of rows [0, t) cut into admissible segments, with the
  // convention best[p][0] = −β so that every segment, the first included, pays β once.
  const best = penalties.map((penalty) => {
    const b = new Float64Array(n + 1).fill(Infinity);
    b[0] = -penalty;
    return b;
  });
  const lastStart = penalties.map(() => new Int32Array(n + 1).fill(-1));
  // Candidate last boundaries, in ascending order: starts[i], with prunedAt[p][i] (Infinity while
  // not pruned) for each penalty. A candidate s pruned at time t is dominated by t only for ends
  // T ≥ t + minSize (a segment [t, T) must be admissible), so it stays usable until then; it
  // leaves the shared list once no penalty can use it. Which starts become candidates does not
  // depend on the penalty (0, and every reachable end t ≥ minSize).
  //
  // Speed, with the same numbers: PELT prunes a candidate only once a change after it is part of
  // the optimum, so a long stretch without change keeps thousands of candidates and the search
  // turns quadratic there (Killick et al.: linear expected time needs changes throughout). The
  // costs are computed for PELT_BLOCK ends at a time (SegmentCost.costsBlock), so each
  // candidate's prefix sums are read once per block rather than once per step, into typed arrays
  // reused from step to step. The arithmetic of every cost is cost()'s, so each search, pruning
  // and ties included, is the one pelt() did alone.
  // Candidates shared by the searches: starts[i] (ascending), each with its row in the current
  // block of costs (−1: added since the block began). Each search keeps its own list of them:
  // members[p] (indices into the shared list, ascending) with prunedAt[p] (Infinity while not
  // pruned); the shared list is compacted to what some search still uses when a block begins.
  const starts = new Int32Array(n + 1);
  const row = new Int32Array(n + 1);
  const segment = new Float64Array(n + 1);
  const used = new Uint8Array(n + 1);
  const remap = new Int32Array(n + 1);
  const members = penalties.map(() => new Int32Array(n + 1));
  const prunedAt = penalties.map(() => new Float64Array(n + 1));
  const memberCount = new Int32Array(P);
  const costs = new Float64Array(n + 1);
  let block = new Float64Array(0);
  let blockStart = 0;
  let blockEnds = 0;
  let count = 0;
  for (let t = minSize; t <= n; t++) {
    // s = t − minSize becomes a valid candidate now (it is a reachable end, or 0).
    const fresh = t - minSize;
    if (fresh === 0 || (fresh >= minSize && Number.isFinite(best[0][fresh]))) {
      starts[count] = fresh;
      row[count] = -1;
      for (let p = 0; p < P; p++) {
        members[p][memberCount[p]] = count;
        prunedAt[p][memberCount[p]] = Infinity;
        memberCount[p]++;
      }
      count++;
    }
    if (t >= blockStart + blockEnds) {
      count = compactShared(starts, row, count, members, memberCount, used, remap);
      blockStart = t;
      blockEnds = Math.min(PELT_BLOCK, n + 1 - t);
      if (cost.costsBlock) {
        if (block.length < count * blockEnds) block = new Float64Array(Math.max(count * blockEnds, 2 * block.length));
        cost.costsBlock(t, blockEnds, starts, count, block);
        for (let i = 0; i < count; i++) row[i] = i;
      }
    }
    const k = t - blockStart;
    for (let i = 0; i < count; i++) segment[i] = cost.costsBlock && row[i] >= 0 ? block[row[i] * blockEnds + k] : cost.cost(starts[i], t);
    for (let p = 0; p < P; p++) {
      const penalty = penalties[p];
      const bp = best[p];
      const mine = members[p];
      const pruned = prunedAt[p];
      const m = memberCount[p];
      let bestValue = Infinity;
      let bestStart = -1;
      let highest = -Infinity;
      for (let j = 0; j < m; j++) {
        const i = mine[j];
        const s = starts[i];
        const value = bp[s] + segment[i] + penalty;
        const c = value - penalty;
        costs[j] = c;
        if (c > highest) highest = c;
        // Strict < keeps the earliest start on exact ties: deterministic.
        if (value < bestValue) {
          bestValue = value;
          bestStart = s;
        }
      }
      bp[t] = bestValue;
      lastStart[p][t] = bestStart;
      // Pruning (Killick et al. 2012, Theorem 3.1 with K = 0, valid because
      // C(a,b) + C(b,c) ≤ C(a,c)): if best[s] + C(s,t) ≥ best[t], s never beats t again.
      // (Nothing to do when no candidate reaches best[t]: the usual case without change.)
      let kept = 0;
      for (let j = 0; j < m; j++) {
        let at = pruned[j];
        if (at === Infinity && highest >= bestValue && costs[j] >= bestValue) at = t;
        if (t + 1 < at + minSize) {
          mine[kept] = mine[j];
          pruned[kept] = at;
          kept++;
        }
      }
      memberCount[p] = kept;
    }
  }
  return lastStart.map((ls) => backtrack(ls, n));
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
  const { boundaries, shapes, scale, refinements } = searchWithRefinement(series, x, standard, { method, model, minSize, maxRefinements, noise }, [penalty])[0];
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

/** One penalty's search in detectChangePoints: boundaries (refined), their shapes, the noise scale used. */
interface RefinedSearch {
  boundaries: number[];
  shapes: BoundaryShape[];
  scale: number[];
  refinements: number;
}

type ResolvedOptions = ReturnType<typeof resolveChangePointOptions>;

/** The search of `method` for several penalties on one cost (PELT shares the costs: peltMany). */
function searchMany(cost: SegmentCost, method: ChangePointMethod, penalties: readonly number[], minSize: number): number[][] {
  if (method === 'pelt') return peltMany(cost, penalties, minSize);
  return penalties.map((penalty) => searchChangePoints(cost, method, penalty, minSize));
}

/**
 * Steps 2–3 of detectChangePoints for each penalty: search, re-estimate the noise scale from the
 * segment fits, search again until the boundaries stop changing, then place linear boundaries by
 * hinge fit. Each penalty follows its own sequence exactly; penalties whose current boundaries
 * agree have the same next scale, hence the same cost, and are searched together.
 */
function searchWithRefinement(series: number[][], x: readonly number[], standard: ReturnType<typeof robustStandardize>, o: ResolvedOptions, penalties: readonly number[]): RefinedSearch[] {
  const n = series.length;
  const d = standard.kept.length;
  const states: RefinedSearch[] = penalties.map(() => ({ boundaries: [], shapes: [], scale: standard.scale.slice(), refinements: 0 }));
  if (!(d > 0 && n >= 2 * o.minSize)) return states;
  const columns = standard.kept.map((j) => series.map((row) => row[j]));
  searchMany(segmentCost(o.model, standard.values, x), o.method, penalties, o.minSize).forEach((b, p) => {
    states[p].boundaries = b;
  });
  let active = states.map((_, p) => p);
  for (let round = 0; round < o.maxRefinements && active.length > 0; round++) {
    const groups = new Map<string, number[]>();
    for (const p of active) {
      const key = states[p].boundaries.join(',');
      groups.set(key, [...(groups.get(key) ?? []), p]);
    }
    const stillActive: number[] = [];
    for (const members of groups.values()) {
      const boundaries = states[members[0]].boundaries;
      const residualScale = o.noise === 'long-run' ? longRunResidualScale(columns, boundaries, o.model, x) : pooledResidualScale(columns, boundaries, o.model, x);
      const nextScale = residualScale.map((s, k) => (s > 0 ? s : standard.scale[k]));
      const rescaled = series.map((row) => standard.kept.map((j, k) => (row[j] - standard.center[k]) / nextScale[k]));
      const found = searchMany(segmentCost(o.model, rescaled, x), o.method, members.map((p) => penalties[p]), o.minSize);
      members.forEach((p, i) => {
        const state = states[p];
        const next = found[i];
        state.refinements++;
        state.scale = nextScale;
        const same = next.length === state.boundaries.length && next.every((b, k) => b === state.boundaries[k]);
        state.boundaries = next;
        if (!same) stillActive.push(p);
      });
    }
    active = stillActive.sort((a, b) => a - b);
  }
  for (const state of states) {
    if (o.model === 'linear' && state.boundaries.length > 0) {
      const standardised = series.map((row) => standard.kept.map((j, k) => (row[j] - standard.center[k]) / state.scale[k]));
      ({ boundaries: state.boundaries, shapes: state.shapes } = refineBoundaries(standardised, x, state.boundaries, o.minSize));
    } else {
      state.shapes = state.boundaries.map(() => 'jump');
    }
  }
  return states;
}

/**
 * The boundaries detectChangePoints(series, {...options, penalty}) finds, for each of `penalties`
 * (a penalty sweep, confidence.ts): the same numbers, with the searches shared where the costs
 * are the same (searchWithRefinement).
 */
export function detectBoundariesForPenalties(series: number[][], options: ChangePointOptions, penalties: readonly number[]): number[][] {
  const resolved = resolveChangePointOptions(options);
  const n = series.length;
  for (const row of series) {
    for (const v of row) if (!Number.isFinite(v)) throw new Error(`detectChangePoints: data must be finite numbers, got ${v}`);
  }
  const x = options.x ?? series.map((_, t) => t);
  if (x.length !== n) throw new OptionError('x', `has ${x.length} values for ${n} rows`);
  for (const penalty of penalties) {
    if (!(penalty >= 0) || !Number.isFinite(penalty)) throw new OptionError('penalty', `must be a finite number >= 0, got ${penalty}`);
  }
  const standard = robustStandardize(series, resolved.model, x);
  return searchWithRefinement(series, x, standard, resolved, penalties).map((s) => s.boundaries);
}
