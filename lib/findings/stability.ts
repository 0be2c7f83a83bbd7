/**
 * How stable the spreader and gatherer hierarchies are over training: role scores per checkpoint,
 * Kendall τ-b between consecutive checkpoints' rankings, and the same under a structural null in
 * which every checkpoint's weights are permuted among the edges the architecture allows.
 *
 * A spreader's ablation moves many others (out-strength of the influence graph), a gatherer is
 * moved by many (in-strength). In a layered DAG early components have more possible out-edges and
 * late ones more possible in-edges, so raw strength rankings are stable by construction; only
 * stability beyond what the permuted graphs show is learned structure.
 */
import { kendallTau } from '../phases/ranking.js';
import { Rng } from '../util/rng.js';
import { edgeArrays, edgeGroups, permuteWithinGroups, type AllowedEdge, type NullModelKind } from '../network/null-models.js';

export type Role = 'spreader' | 'gatherer';
export const ROLES: readonly Role[] = ['spreader', 'gatherer'];

/** The components a role ranking covers: every node but the LOGITS sink. */
export function rankedComponents(nodes: readonly string[]): number[] {
  return nodes.map((_, i) => i).filter((i) => nodes[i] !== 'LOGITS');
}

/**
 * Role scores of one checkpoint over `ranked` (node indices): spreader = out-strength (Σ_j |w_ij|,
 * edges to LOGITS included: moving the output is influence too), gatherer = in-strength
 * (Σ_i |w_ij|). matrix: [source][target].
 */
export function roleScores(matrix: readonly (readonly number[])[], ranked: readonly number[]): Record<Role, Float64Array> {
  const n = matrix.length;
  const spreader = new Float64Array(ranked.length);
  const gatherer = new Float64Array(ranked.length);
  ranked.forEach((i, k) => {
    let out = 0;
    let inn = 0;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      out += Math.abs(matrix[i][j]);
      inn += Math.abs(matrix[j][i]);
    }
    spreader[k] = out;
    gatherer[k] = inn;
  });
  return { spreader, gatherer };
}

/** Kendall τ-b of consecutive score vectors: entry t compares checkpoints t − 1 and t (entry 0 null). */
export function consecutiveTaus(scores: readonly ArrayLike<number>[]): (number | null)[] {
  return scores.map((s, t) => {
    if (t === 0) return null;
    const tau = kendallTau(scores[t - 1], s);
    return Number.isFinite(tau) ? tau : null;
  });
}

/** Mean of the transitions t in (from, to) — those inside checkpoints [from, to). */
export function meanTransitions(taus: readonly (number | null)[], from: number, to: number): number | null {
  let sum = 0;
  let count = 0;
  for (let t = from + 1; t < to; t++) {
    const v = taus[t];
    if (v !== null) {
      sum += v;
      count++;
    }
  }
  return count > 0 ? sum / count : null;
}

export interface RankStability {
  /** τ-b of each transition (index = later checkpoint; 0 and the warm-up's are null). */
  taus: (number | null)[];
  /** Mean over the transitions of [from, n). */
  mean: number | null;
  /** Mean over the transitions inside each segment [start, end). */
  perSegment: (number | null)[];
}

/**
 * Rank stability of one role's score series: `scores[t]` over the same components at every
 * checkpoint; `from` the first checkpoint that counts (after a warm-up); `segments` the phases.
 */
export function rankStability(scores: readonly ArrayLike<number>[], from = 0, segments: readonly [number, number][] = []): RankStability {
  const taus = consecutiveTaus(scores).map((v, t) => (t > from ? v : null));
  return { taus, mean: meanTransitions(taus, from, scores.length), perSegment: segments.map(([s, e]) => meanTransitions(taus, s, e)) };
}

/**
 * Long-range agreement: the mean τ-b over all pairs of checkpoints at least `lag` apart, both at
 * or after `from`. A hierarchy that holds keeps its short-range agreement at long lags; one
 * reshuffled every few checkpoints agrees with its neighbours but not with itself a phase later.
 */
export function persistence(scores: readonly ArrayLike<number>[], from: number, lag: number): number | null {
  let sum = 0;
  let count = 0;
  for (let s = from; s < scores.length; s++) {
    for (let t = s + lag; t < scores.length; t++) {
      const tau = kendallTau(scores[s], scores[t]);
      if (Number.isFinite(tau)) {
        sum += tau;
        count++;
      }
    }
  }
  return count > 0 ? sum / count : null;
}

export interface StructureTest {
  /** Mean rank stability of the observed series. */
  observed: number | null;
  /** Mean and standard deviation of the same statistic over the null draws. */
  nullMean: number | null;
  nullSd: number | null;
  /** (observed − null mean) / null sd. */
  z: number | null;
  /** One-sided permutation p-value, (1 + #{null ≥ observed}) / (1 + draws). */
  p: number | null;
  draws: number;
}

/** Role scores over `ranked` from edge arrays (source[e] → target[e], weights[e]). */
function scoresFromEdges(n: number, source: Int32Array, target: Int32Array, weights: Float64Array, ranked: readonly number[], role: Role): Float64Array {
  const strength = new Float64Array(n);
  for (let e = 0; e < weights.length; e++) {
    if (source[e] === target[e]) continue;
    strength[role === 'spreader' ? source[e] : target[e]] += Math.abs(weights[e]);
  }
  return Float64Array.from(ranked, (i) => strength[i]);
}

/**
 * Is a role hierarchy more stable than the architecture alone makes it? Each draw permutes every
 * checkpoint's weights within blocks of edges of the same (source layer, target layer, source
 * kind, target kind), independently per checkpoint (the 'block' null model of
 * lib/network/null-models.ts), and recomputes the mean consecutive τ-b; the observed mean is
 * compared with that distribution.
 */
export function structureTest(
  matrices: readonly (readonly (readonly number[])[])[],
  nodeIds: readonly string[],
  allowed: readonly AllowedEdge[],
  role: Role,
  options: { from?: number; draws?: number; seed?: number; kind?: NullModelKind } = {},
): StructureTest {
  const from = options.from ?? 0;
  const draws = options.draws ?? 200;
  const kind = options.kind ?? 'block';
  const rng = new Rng(options.seed ?? 0);
  const ranked = rankedComponents(nodeIds);
  const observed = rankStability(matrices.map((m) => roleScores(m, ranked)[role]), from).mean;
  const edges = matrices.map((m, t) => (t < from ? null : edgeArrays('structureTest', m, allowed, nodeIds)));
  const groups = edges.map((e) => (e ? edgeGroups('structureTest', kind, e, nodeIds) : null));
  const values: number[] = [];
  for (let k = 0; k < draws; k++) {
    const scores = edges.map((e, t) => {
      if (!e) return new Float64Array(ranked.length);
      const weights = Float64Array.from(e.weights);
      permuteWithinGroups(weights, groups[t]!, rng);
      return scoresFromEdges(e.n, e.source, e.target, weights, ranked, role);
    });
    const mean = rankStability(scores, from).mean;
    if (mean !== null) values.push(mean);
  }
  if (observed === null || values.length < 2) return { observed, nullMean: null, nullSd: null, z: null, p: null, draws };
  const nullMean = values.reduce((a, b) => a + b, 0) / values.length;
  const nullSd = Math.sqrt(values.reduce((a, b) => a + (b - nullMean) ** 2, 0) / (values.length - 1));
  const above = values.filter((v) => v >= observed).length;
  return { observed, nullMean, nullSd, z: nullSd > 0 ? (observed - nullMean) / nullSd : null, p: (1 + above) / (1 + values.length), draws };
}
