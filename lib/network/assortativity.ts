/**
 * Strength assortativity, out → in: the Pearson correlation, over edges u → v, of the
 * out-strength of u and the in-strength of v (each edge one unweighted pair). This is networkx
 * 2.8.8's `degree_pearson_correlation_coefficient(G, x='out', y='in', weight='weight')`
 * (Newman, Phys. Rev. E 67, 026126, 2003, with strengths for degrees). Null when there are fewer
 * than 2 edges or either side has zero variance (networkx returns NaN there).
 */
import { strength } from './strength.js';
import type { ComponentGraph } from './types.js';

export interface AssortativityResult {
  value: number | null;
  reason: string | null;
}

export function strengthAssortativity(graph: ComponentGraph): AssortativityResult {
  const outStrength = strength(graph, { direction: 'out' });
  const inStrength = strength(graph, { direction: 'in' });
  const xs: number[] = [];
  const ys: number[] = [];
  graph.forEachEdge((_edge, _attributes, source, target) => {
    xs.push(outStrength[source]);
    ys.push(inStrength[target]);
  });
  const r = pearson(xs, ys);
  if (r === null) {
    return { value: null, reason: 'strength assortativity needs at least 2 edges with varying source out-strength and target in-strength' };
  }
  return { value: r, reason: null };
}

/** Pearson correlation coefficient; null when undefined (n < 2 or a zero variance). */
export function pearson(xs: readonly number[], ys: readonly number[]): number | null {
  const n = xs.length;
  if (n < 2) return null;
  const mean = (v: readonly number[]): number => v.reduce((a, b) => a + b, 0) / n;
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i] - mx;
    const dy = ys[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return null;
  // Clamp rounding just outside [-1, 1], as scipy.stats.pearsonr does.
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}
