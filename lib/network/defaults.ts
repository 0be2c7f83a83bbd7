/**
 * Every default of lib/network in one place (the graphology-metrics style: each metric takes
 * `(graph, options)` and fills what the caller left out from here). docs/network.md lists them.
 */
import type { DistanceKind, NegativePolicy, Normalization, PruneSpec } from './types.js';

export const DEFAULTS = freezeDeep({
  build: {
    logits: 'keep' as 'keep' | 'drop',
    negative: 'error' as NegativePolicy,
    normalize: 'none' as Normalization,
    prune: null as PruneSpec | null,
  },
  /** networkx.pagerank defaults. */
  pagerank: { alpha: 0.85, maxIterations: 1000, tolerance: 1e-12 },
  /** Power iteration on AᵀA, run far tighter than networkx's ARPACK tolerance needs. */
  hits: { maxIterations: 10000, tolerance: 1e-13 },
  /** Edge length for betweenness and closeness. */
  distance: 'inverse' as DistanceKind,
  betweenness: { normalized: true },
  closeness: { wfImproved: true },
  /** networkx.katz_centrality defaults except alpha = 0.1 as the issue asks (networkx's default is also 0.1). */
  katz: { alpha: 0.1, beta: 1, normalized: true, maxIterations: 10000, tolerance: 1e-12 },
  /** networkx.eigenvector_centrality defaults. */
  eigenvector: { maxIterations: 10000, tolerance: 1e-12 },
  louvain: { seed: 0, resolution: 1, restarts: 32 },
  weights: {
    /** Fraction of the heaviest edges whose share of the total weight is reported. */
    topFraction: 0.1,
    /** Smallest tail (number of weights >= x_min) the power-law fit may choose. */
    tailMinSize: 10,
  },
  roles: { k: 5 },
});

/**
 * `defaults` overridden by the options the caller actually set: an option given as `undefined`
 * (e.g. an absent CLI flag passed through) keeps its default, unlike a plain object spread.
 */
export function withDefaults<T extends object>(defaults: T, options: { [K in keyof T]?: T[K] | undefined } | undefined): T {
  const result = { ...defaults };
  if (options) {
    for (const key of Object.keys(options) as (keyof T)[]) {
      const value = options[key];
      if (value !== undefined) result[key] = value as T[keyof T];
    }
  }
  return result;
}

/** Object.freeze, recursively: the defaults are shared, so no caller may change them. */
function freezeDeep<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) freezeDeep(inner);
    Object.freeze(value);
  }
  return value;
}
