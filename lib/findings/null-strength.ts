/**
 * Strengths against the structural null, in closed form. Under the 'block' null model every block
 * of edges (same source layer, target layer, source kind, target kind) keeps its multiset of
 * weights, permuted uniformly. A node's out-strength takes k of a block's N weights (its k edges
 * in the block): a simple random sample without replacement, whose sum has mean k·μ and variance
 * k(N − k)/(N − 1)·σ² (μ, σ² the block's mean and population variance of |w|; Cochran, Sampling
 * Techniques, 1977, §2.4), and blocks are permuted independently. So the z-score of a strength
 * needs no draws: z = (strength − Σ k·μ) / √(Σ k(N−k)/(N−1)·σ²). The Monte Carlo of
 * lib/network/role-z.ts converges to it (tested).
 */
import { edgeArrays, edgeGroups, type AllowedEdge, type EdgeArrays, type NullModelKind } from '../network/null-models.js';

export interface StrengthZ {
  /** Per node in matrix order: z of out- and in-strength; null where the null variance is 0. */
  out: (number | null)[];
  in: (number | null)[];
}

/**
 * The closed-form null of one graph structure (node ids, allowed edges, null kind), built once and
 * applied to any number of weight matrices on it — the checkpoints and their prompt resamples.
 */
export class StrengthNull {
  private readonly edges: EdgeArrays;
  private readonly groups: Int32Array[];

  constructor(readonly nodeIds: readonly string[], readonly allowed: readonly AllowedEdge[], readonly kind: NullModelKind = 'block') {
    const n = nodeIds.length;
    const zero = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    this.edges = edgeArrays('StrengthNull', zero, allowed, nodeIds);
    this.groups = edgeGroups('StrengthNull', kind, this.edges, nodeIds);
  }

  /** z-scores of every node's out- and in-strength on `matrix` (entries off the allowed edges are not read). */
  zScores(matrix: readonly (readonly number[])[]): StrengthZ {
    const { source, target } = this.edges;
    const n = this.nodeIds.length;
    const observed = { out: new Float64Array(n), in: new Float64Array(n) };
    const mean = { out: new Float64Array(n), in: new Float64Array(n) };
    const variance = { out: new Float64Array(n), in: new Float64Array(n) };
    const kOut = new Int32Array(n);
    const kIn = new Int32Array(n);
    for (const group of this.groups) {
      const N = group.length;
      let mu = 0;
      for (const e of group) mu += Math.abs(matrix[source[e]][target[e]]);
      mu /= N;
      let sigma2 = 0;
      for (const e of group) sigma2 += (Math.abs(matrix[source[e]][target[e]]) - mu) ** 2;
      sigma2 /= N;
      for (const e of group) {
        const w = Math.abs(matrix[source[e]][target[e]]);
        observed.out[source[e]] += w;
        observed.in[target[e]] += w;
        kOut[source[e]]++;
        kIn[target[e]]++;
      }
      const spread = N > 1 ? sigma2 / (N - 1) : 0;
      for (const e of group) {
        // each node's share of this block, added once (then its count is reset)
        for (const [k, m, v, node] of [[kOut, mean.out, variance.out, source[e]], [kIn, mean.in, variance.in, target[e]]] as const) {
          const count = k[node];
          if (count === 0) continue;
          m[node] += count * mu;
          v[node] += count * (N - count) * spread;
          k[node] = 0;
        }
      }
    }
    const z = (o: Float64Array, m: Float64Array, v: Float64Array): (number | null)[] => Array.from(o, (x, i) => (v[i] > 1e-300 ? (x - m[i]) / Math.sqrt(v[i]) : null));
    return { out: z(observed.out, mean.out, variance.out), in: z(observed.in, mean.in, variance.in) };
  }
}

/** One matrix's strength z-scores (checks that it has no weight off the allowed edges). */
export function strengthZScores(matrix: readonly (readonly number[])[], nodeIds: readonly string[], allowed: readonly AllowedEdge[], kind: NullModelKind = 'block'): StrengthZ {
  edgeArrays('strengthZScores', matrix, allowed, nodeIds);
  return new StrengthNull(nodeIds, allowed, kind).zScores(matrix);
}
