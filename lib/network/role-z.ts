/**
 * Node roles against a structural null model (null-models.ts): for each node and statistic, the
 * raw value, its mean and standard deviation over seeded null draws, and z = (raw − mean) / sd.
 * A z-score says how far a node stands out from what the DAG (and, for 'block', its layer and
 * kind) alone would give it: raw out-strength ranks layer 0 first in any layered DAG, z does not.
 *
 * The statistics are computed straight on the edge arrays, not on a graphology graph, because
 * the defaults (200 draws × 143 checkpoints) mean tens of thousands of evaluations. They are the
 * same computations as lib/network's `strength`, `pagerank` and `hits` on
 * `graphFromInfluence({ nodes, matrix }, { negative: 'abs' })` (tested to 1e-9):
 *   - weights are |w|; a zero entry is no edge;
 *   - PageRank as graphology-metrics (= networkx): P_ij = w_ij / out-strength(i), dangling nodes
 *     (out-strength 0) teleport uniformly, uniform start and personalisation 1/n, stop when
 *     Σ|x − x_prev| < n·tolerance, DEFAULTS.pagerank;
 *   - HITS as hits.ts: power iteration a ← AᵀA·a from the uniform vector, sum-normalised, stop when
 *     Σ|a − a_prev| < tolerance; hubs = A·a sum-normalised; undefined without edges or without
 *     convergence, DEFAULTS.hits.
 */
import { DEFAULTS, withDefaults } from './defaults.js';
import { edgeArrays, edgeGroups, permuteWithinGroups, type AllowedEdge, type EdgeArrays, type NullModelKind } from './null-models.js';
import { CntlensError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import type { HitsOptions } from './hits.js';
import type { PagerankOptions } from './pagerank.js';

export const ROLE_STATISTICS = ['in_strength', 'out_strength', 'pagerank', 'hub', 'authority'] as const;
export type RoleStatistic = (typeof ROLE_STATISTICS)[number];

/** Defaults of roleZScores (docs/network.md, "Structural null models"). */
export const ROLE_Z_DEFAULTS: Readonly<{ kind: NullModelKind; draws: number; seed: number }> = Object.freeze({ kind: 'block', draws: 200, seed: 0 });

export interface RoleZOptions {
  /** Node ids in matrix order: the keys of the result, and the layers and kinds of 'block'. */
  nodes: readonly string[];
  /** Null model, default 'block'. */
  kind?: NullModelKind;
  /** Number of null draws, default 200 (at least 2). */
  draws?: number;
  /** Seed of the draws, default 0. */
  seed?: number;
  pagerank?: PagerankOptions;
  hits?: HitsOptions;
}

export interface RoleZ {
  /** The statistic on the observed matrix; null where it is undefined (HITS without convergence). */
  raw: number | null;
  /** Mean over the null draws where the statistic is defined. */
  nullMean: number | null;
  /** Sample standard deviation (n − 1) over those draws. */
  nullSd: number | null;
  /** (raw − nullMean) / nullSd; null where that is undefined, with `reason`. */
  z: number | null;
  reason: string | null;
}

export interface RoleZResult {
  kind: NullModelKind;
  draws: number;
  seed: number;
  statistics: readonly RoleStatistic[];
  /** Per node id, per statistic. */
  nodes: Record<string, Record<RoleStatistic, RoleZ>>;
  /** Null draws on which a statistic was undefined (HITS only; left out of its mean and sd). */
  undefinedDraws: Record<RoleStatistic, number>;
}

/** Below this sd relative to |mean| the null is taken as constant: re-ordered sums differ by rounding only. */
const SD_ZERO_RELATIVE = 1e-10;

/**
 * z-scores of every node's in/out strength, PageRank, hub and authority against `draws` seeded
 * null draws of `kind`. Deterministic for a given seed; draw d is the d-th `nullModel` call on
 * `new Rng(seed)` (of |matrix|).
 */
export function roleZScores(
  matrix: readonly (readonly number[])[],
  allowed: readonly AllowedEdge[],
  options: RoleZOptions,
): RoleZResult {
  const settings = withDefaults(ROLE_Z_DEFAULTS, { kind: options.kind, draws: options.draws, seed: options.seed });
  if (!(Number.isInteger(settings.draws) && settings.draws >= 2)) {
    throw new CntlensError(`roleZScores: draws must be an integer >= 2 (an sd needs two draws), got ${settings.draws}`);
  }
  if (!Number.isFinite(settings.seed)) throw new CntlensError(`roleZScores: seed must be a finite number, got ${settings.seed}`);
  if (!Array.isArray(options.nodes)) throw new CntlensError('roleZScores: options.nodes (the node ids in matrix order) is required');
  const pagerankSettings = withDefaults(DEFAULTS.pagerank, options.pagerank);
  const hitsSettings = withDefaults(DEFAULTS.hits, options.hits);

  const edges = edgeArrays('roleZScores', matrix, allowed, options.nodes);
  const groups = edgeGroups('roleZScores', settings.kind, edges, options.nodes);
  const observed = Float64Array.from(edges.weights, Math.abs);
  const compute = (weights: Float64Array): NodeStatistics => nodeStatistics(edges, weights, pagerankSettings, hitsSettings);

  const raw = compute(observed);
  // samples[stat][d * n + node]; NaN marks a draw where the statistic is undefined.
  const n = edges.n;
  const samples = Object.fromEntries(ROLE_STATISTICS.map((s) => [s, new Float64Array(settings.draws * n)])) as Record<RoleStatistic, Float64Array>;
  const rng = new Rng(settings.seed);
  const weights = new Float64Array(observed.length);
  for (let d = 0; d < settings.draws; d++) {
    // A fresh copy each draw, as nullModel permutes the observed matrix, so draw d is its d-th call.
    weights.set(observed);
    permuteWithinGroups(weights, groups, rng);
    const stats = compute(weights);
    for (const s of ROLE_STATISTICS) {
      const values = stats[s];
      if (values) samples[s].set(values, d * n);
      else samples[s].fill(NaN, d * n, (d + 1) * n);
    }
  }

  const undefinedDraws = Object.fromEntries(ROLE_STATISTICS.map((s) => [s, countUndefinedDraws(samples[s], n)])) as Record<RoleStatistic, number>;
  const nodes: Record<string, Record<RoleStatistic, RoleZ>> = {};
  for (let i = 0; i < n; i++) {
    nodes[options.nodes[i]] = Object.fromEntries(ROLE_STATISTICS.map((s) => {
      const value = raw[s] ? raw[s][i] : null;
      return [s, zScore(value, column(samples[s], i, n), raw.hitsReason)];
    })) as Record<RoleStatistic, RoleZ>;
  }
  return { kind: settings.kind, draws: settings.draws, seed: settings.seed, statistics: ROLE_STATISTICS, nodes, undefinedDraws };
}

/** One node's z from its raw value and its null samples (NaN = undefined draw). */
function zScore(raw: number | null, samples: number[], rawReason: string | null): RoleZ {
  const defined = samples.filter((x) => !Number.isNaN(x));
  const mean = defined.length > 0 ? defined.reduce((a, b) => a + b, 0) / defined.length : null;
  const sd = mean !== null && defined.length >= 2
    ? Math.sqrt(defined.reduce((a, x) => a + (x - mean) ** 2, 0) / (defined.length - 1))
    : null;
  const result = { raw, nullMean: mean, nullSd: sd };
  if (raw === null) return { ...result, z: null, reason: `undefined on the observed matrix: ${rawReason ?? 'no value'}` };
  if (mean === null || sd === null) {
    return { ...result, z: null, reason: `defined on ${defined.length} null draw(s) only; an sd needs 2` };
  }
  if (sd <= SD_ZERO_RELATIVE * Math.abs(mean)) {
    return {
      ...result, nullSd: 0, z: null,
      reason: 'null sd is 0: the null model does not vary this statistic for this node (under \'block\' a layer\'s ' +
        'single MLP and LOGITS own their blocks, so their strengths are fixed; a source-only or sink-only node has a constant 0)',
    };
  }
  return { ...result, z: (raw - mean) / sd, reason: null };
}

function column(samples: Float64Array, node: number, n: number): number[] {
  const values: number[] = [];
  for (let k = node; k < samples.length; k += n) values.push(samples[k]);
  return values;
}

function countUndefinedDraws(samples: Float64Array, n: number): number {
  let count = 0;
  for (let k = 0; k < samples.length; k += n) if (Number.isNaN(samples[k])) count++;
  return count;
}

// ---------------------------------------------------------------------------------------------
// The statistics on edge arrays.

interface NodeStatistics {
  in_strength: Float64Array;
  out_strength: Float64Array;
  pagerank: Float64Array;
  hub: Float64Array | null;
  authority: Float64Array | null;
  hitsReason: string | null;
}

/** All five statistics of the graph with edges `edges` carrying `weights` (all >= 0). */
export function nodeStatistics(
  edges: EdgeArrays,
  weights: Float64Array,
  pagerankSettings: Required<PagerankOptions>,
  hitsSettings: Required<HitsOptions>,
): NodeStatistics {
  const { in: inStrength, out: outStrength } = strengths(edges, weights);
  const pagerank = pagerankOf(edges, weights, outStrength, pagerankSettings);
  const hits = hitsOf(edges, weights, hitsSettings);
  return { in_strength: inStrength, out_strength: outStrength, pagerank, hub: hits.hub, authority: hits.authority, hitsReason: hits.reason };
}

function strengths(edges: EdgeArrays, weights: Float64Array): { in: Float64Array; out: Float64Array } {
  const { source, target } = edges;
  const inStrength = new Float64Array(edges.n);
  const outStrength = new Float64Array(edges.n);
  for (let e = 0; e < weights.length; e++) {
    outStrength[source[e]] += weights[e];
    inStrength[target[e]] += weights[e];
  }
  return { in: inStrength, out: outStrength };
}

/** pagerank.ts (graphology-metrics) step for step; throws as it does when it does not converge. */
function pagerankOf(edges: EdgeArrays, weights: Float64Array, outStrength: Float64Array, settings: Required<PagerankOptions>): Float64Array {
  const { n, source, target } = edges;
  const m = weights.length;
  const { alpha } = settings;
  const p = 1 / n;
  const dangling: number[] = [];
  for (let i = 0; i < n; i++) if (outStrength[i] === 0) dangling.push(i);
  // alpha · transition probability; a zero-weight edge is no edge (and 0/0 must not arise at a
  // dangling node).
  const step = new Float64Array(m);
  for (let e = 0; e < m; e++) {
    const d = outStrength[source[e]];
    step[e] = d === 0 ? 0 : alpha * (weights[e] / d);
  }
  let x = new Float64Array(n).fill(p);
  let next = new Float64Array(n);
  for (let iteration = 0; iteration < settings.maxIterations; iteration++) {
    let dangleSum = 0;
    for (const i of dangling) dangleSum += x[i];
    next.fill(alpha * dangleSum * p + (1 - alpha) * p);
    for (let e = 0; e < m; e++) next[target[e]] += x[source[e]] * step[e];
    let error = 0;
    for (let i = 0; i < n; i++) error += Math.abs(next[i] - x[i]);
    [x, next] = [next, x];
    if (error < n * settings.tolerance) return x;
  }
  throw new Error('roleZScores: pagerank failed to converge (as graphology-metrics/centrality/pagerank would)');
}

/** hits.ts step for step, in two reused buffers (it runs on every null draw). */
function hitsOf(
  edges: EdgeArrays,
  weights: Float64Array,
  settings: Required<HitsOptions>,
): { hub: Float64Array | null; authority: Float64Array | null; reason: string | null } {
  const n = edges.n;
  if (!weights.some((w) => w > 0)) return { hub: null, authority: null, reason: 'HITS is undefined on a graph without edges' };
  let authority = new Float64Array(n).fill(1 / n);
  let next = new Float64Array(n);
  const hub = new Float64Array(n);
  for (let iteration = 0; iteration < settings.maxIterations; iteration++) {
    multiplyA(edges, weights, authority, hub);
    multiplyAt(edges, weights, hub, next); // AᵀA·a
    normalizeSum(next);
    let change = 0;
    for (let i = 0; i < n; i++) change += Math.abs(next[i] - authority[i]);
    [authority, next] = [next, authority];
    if (change < settings.tolerance) {
      multiplyA(edges, weights, authority, hub);
      normalizeSum(hub);
      return { hub, authority, reason: null };
    }
  }
  return {
    hub: null, authority: null,
    reason: `HITS power iteration did not converge in ${settings.maxIterations} iterations (leading singular value not simple?)`,
  };
}

/** y = A·x: y_i = Σ_j w(i→j) x_j. */
function multiplyA(edges: EdgeArrays, weights: Float64Array, x: Float64Array, y: Float64Array): void {
  const { source, target } = edges;
  y.fill(0);
  for (let e = 0; e < weights.length; e++) y[source[e]] += weights[e] * x[target[e]];
}

/** y = Aᵀ·x: y_j = Σ_i w(i→j) x_i. */
function multiplyAt(edges: EdgeArrays, weights: Float64Array, x: Float64Array, y: Float64Array): void {
  const { source, target } = edges;
  y.fill(0);
  for (let e = 0; e < weights.length; e++) y[target[e]] += weights[e] * x[source[e]];
}

function normalizeSum(x: Float64Array): void {
  let sum = 0;
  for (const v of x) sum += v;
  for (let i = 0; i < x.length; i++) x[i] /= sum;
}
