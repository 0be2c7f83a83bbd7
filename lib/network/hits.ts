/**
 * HITS hubs and authorities (Kleinberg, J. ACM 1999) on the weighted adjacency A (A_ij = w(i→j)).
 *
 * networkx 2.8.8 `hits` takes the leading singular vectors of A from ARPACK (scipy svds):
 * authorities a = leading right singular vector, hubs h = A·a, each normalised to sum 1. We reach
 * the same vector by power iteration a ← AᵀA·a from the uniform vector, to a far tighter tolerance.
 * Not graphology-metrics' `hits`: it stops at 1e-8 on the max-normalised hubs and throws after 100
 * iterations, which a small spectral gap can exhaust.
 */
import { indexGraph, toNodeValues } from './adjacency.js';
import { DEFAULTS, withDefaults } from './defaults.js';
import type { ComponentGraph, NodeValues } from './types.js';

export interface HitsOptions {
  maxIterations?: number;
  tolerance?: number;
}

export interface HitsResult {
  hubs: NodeValues | null;
  authorities: NodeValues | null;
  /** Why the values are null (no edges, or no convergence: a repeated leading singular value). */
  reason: string | null;
}

export function hits(graph: ComponentGraph, options: HitsOptions = {}): HitsResult {
  const settings = withDefaults(DEFAULTS.hits, options);
  const { nodes, out } = indexGraph(graph);
  const n = nodes.length;
  if (graph.size === 0) return { hubs: null, authorities: null, reason: 'HITS is undefined on a graph without edges' };

  let authority: Float64Array = new Float64Array(n).fill(1 / n);
  let converged = false;
  for (let iteration = 0; iteration < settings.maxIterations && !converged; iteration++) {
    const next = multiplyAt(out, multiplyA(out, authority)); // AᵀA·a
    normalizeSum(next);
    let change = 0;
    for (let i = 0; i < n; i++) change += Math.abs(next[i] - authority[i]);
    authority = next;
    converged = change < settings.tolerance;
  }
  if (!converged) {
    return {
      hubs: null, authorities: null,
      reason: `HITS power iteration did not converge in ${settings.maxIterations} iterations (leading singular value not simple?)`,
    };
  }
  const hub = multiplyA(out, authority);
  normalizeSum(hub);
  return { hubs: toNodeValues(nodes, hub), authorities: toNodeValues(nodes, authority), reason: null };
}

/** A·x: y_i = Σ_j w(i→j) x_j. */
function multiplyA(out: { node: number; weight: number }[][], x: Float64Array): Float64Array {
  const y = new Float64Array(x.length);
  for (let i = 0; i < out.length; i++) for (const { node, weight } of out[i]) y[i] += weight * x[node];
  return y;
}

/** Aᵀ·x: y_j = Σ_i w(i→j) x_i. */
function multiplyAt(out: { node: number; weight: number }[][], x: Float64Array): Float64Array {
  const y = new Float64Array(x.length);
  for (let i = 0; i < out.length; i++) for (const { node, weight } of out[i]) y[node] += weight * x[i];
  return y;
}

function normalizeSum(x: Float64Array): void {
  let sum = 0;
  for (const v of x) sum += v;
  for (let i = 0; i < x.length; i++) x[i] /= sum;
}
