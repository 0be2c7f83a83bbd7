/**
 * Shared types of lib/network: a component graph is a graphology directed graph whose nodes are
 * transformer components (`L{l}H{h}`, `L{l}MLP`, `LOGITS`, or any id from an edge list) and whose
 * edges carry a positive `weight` (the influence of source on target).
 */
import type { DirectedGraph } from 'graphology';

export type NodeKind = 'head' | 'mlp' | 'logits' | 'other';

export interface ComponentNodeAttributes {
  /** 0-based layer, null for LOGITS and for ids that are not component ids. */
  layer: number | null;
  /** Head index within the layer; null unless kind is 'head'. */
  head: number | null;
  kind: NodeKind;
}

export interface ComponentEdgeAttributes {
  /** Positive edge weight after sign handling, pruning and normalisation. */
  weight: number;
}

/** How the graph was built, kept on the graph so exports and reports can state it. */
export interface ComponentGraphAttributes {
  /** Where the data came from (a file name or 'influence'/'edge list'). */
  source: string;
  logits: 'keep' | 'drop';
  negative: NegativePolicy;
  /** Number of negative weights found in the input (before the policy was applied). */
  negativeCount: number;
  prune: PruneSpec | null;
  /** Edges removed by pruning. */
  prunedCount: number;
  normalize: Normalization;
  /** The divisor used by the normalisation (1 for 'none'). */
  normalizer: number;
}

export type ComponentGraph = DirectedGraph<ComponentNodeAttributes, ComponentEdgeAttributes, ComponentGraphAttributes>;

/** What to do with negative weights (a measure such as a signed logit difference can produce them). */
export type NegativePolicy = 'error' | 'abs' | 'drop';

export type Normalization = 'none' | 'max' | 'sum';

/**
 * Edge pruning, applied before normalisation:
 * - threshold: keep edges with weight >= value;
 * - percentile: keep edges with weight >= the value-th percentile (0..100, linear interpolation,
 *   numpy's default) of all edge weights;
 * - top-k: keep, for every node, its k heaviest outgoing edges (direction 'out') or incoming
 *   edges (direction 'in').
 */
export type PruneSpec =
  | { kind: 'threshold'; value: number }
  | { kind: 'percentile'; value: number }
  | { kind: 'top-k'; k: number; direction: 'out' | 'in' };

/** Edge length used by path-based metrics (betweenness, closeness). */
export type DistanceKind = 'inverse' | 'neglog';

/** One number per node, keyed by node id, in the graph's node order. */
export type NodeValues = Record<string, number>;

/** A per-node metric that is not defined on every graph: values, or null and the reason. */
export interface MaybeNodeValues {
  values: NodeValues | null;
  reason: string | null;
}
