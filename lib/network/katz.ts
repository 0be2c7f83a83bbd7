/**
 * Katz centrality (Katz, Psychometrika 1953), networkx 2.8.8's
 * `katz_centrality(G, alpha, beta, weight='weight', normalized=True)`:
 *   x_j = α Σ_i w(i→j) x_i + β   (incoming walks), then x / ‖x‖₂.
 * Computed by the same fixed-point iteration as networkx (start at 0, stop when
 * Σ|x − x_prev| < n·tolerance), so the values agree to rounding. On a DAG (every influence graph)
 * the iteration is exact after depth + 1 steps. The series only converges for α < 1/λ_max(A);
 * otherwise the values are null with that reason.
 */
import { indexGraph, toNodeValues } from './adjacency.js';
import { DEFAULTS, withDefaults } from './defaults.js';
import { nodeRecord } from './library-ids.js';
import type { ComponentGraph, MaybeNodeValues } from './types.js';

export interface KatzOptions {
  alpha?: number;
  beta?: number;
  normalized?: boolean;
  maxIterations?: number;
  tolerance?: number;
}

export function katz(graph: ComponentGraph, options: KatzOptions = {}): MaybeNodeValues {
  const settings = withDefaults(DEFAULTS.katz, options);
  const { nodes, out } = indexGraph(graph);
  const n = nodes.length;
  if (n === 0) return { values: nodeRecord(), reason: null };
  let x = new Float64Array(n);
  for (let iteration = 0; iteration < settings.maxIterations; iteration++) {
    const next = new Float64Array(n);
    for (let i = 0; i < n; i++) for (const { node, weight } of out[i]) next[node] += x[i] * weight;
    let change = 0;
    for (let j = 0; j < n; j++) {
      next[j] = settings.alpha * next[j] + settings.beta;
      change += Math.abs(next[j] - x[j]);
    }
    x = next;
    if (change < n * settings.tolerance) {
      if (settings.normalized) {
        const norm = Math.hypot(...x) || 1;
        for (let j = 0; j < n; j++) x[j] /= norm;
      }
      return { values: toNodeValues(nodes, x), reason: null };
    }
  }
  return {
    values: null,
    reason: `Katz iteration did not converge in ${settings.maxIterations} iterations ` +
      `(the series needs alpha = ${settings.alpha} < 1 / largest eigenvalue of the weight matrix)`,
  };
}
