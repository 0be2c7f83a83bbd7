/**
 * Edge-weight distribution of a graph: how concentrated the influence is ("information
 * highways" show as a long tail). Every statistic reads the graph's final edge weights.
 */
import { edgeWeights } from './adjacency.js';
import { DEFAULTS, withDefaults } from './defaults.js';
import { entropy } from './entropy.js';
import { gini } from './gini.js';
import { fitPowerLawTail } from './power-law.js';
import { skewness } from './skewness.js';
import { topShare } from './top-share.js';
import type { ComponentGraph } from './types.js';

export interface WeightDistributionOptions {
  /** Fraction of heaviest edges for `top10_share` (default 0.1, hence the name). */
  topFraction?: number;
  /** Smallest tail the power-law fit may use (default 10). */
  tailMinSize?: number;
}

export interface WeightDistribution {
  gini: number | null;
  /** Shannon entropy of w / Σw, nats. */
  entropy: number | null;
  skewness: number | null;
  top10_share: number | null;
  tail_alpha: number | null;
  tail_xmin: number | null;
  tail_ks: number | null;
  /** Number of edges in the fitted tail (weights >= tail_xmin). */
  tail_n: number | null;
}

export interface WeightDistributionResult {
  values: WeightDistribution;
  /** Why the tail fit is missing, when it is. */
  reason: string | null;
}

export function weightDistribution(graph: ComponentGraph, options: WeightDistributionOptions = {}): WeightDistributionResult {
  const settings = withDefaults(DEFAULTS.weights, options);
  const weights = edgeWeights(graph);
  const tail = fitPowerLawTail(weights, settings.tailMinSize);
  return {
    values: {
      gini: gini(weights),
      entropy: entropy(weights),
      skewness: skewness(weights),
      top10_share: topShare(weights, settings.topFraction),
      tail_alpha: tail.fit?.alpha ?? null,
      tail_xmin: tail.fit?.xmin ?? null,
      tail_ks: tail.fit?.ks ?? null,
      tail_n: tail.fit?.tailSize ?? null,
    },
    reason: tail.reason,
  };
}
