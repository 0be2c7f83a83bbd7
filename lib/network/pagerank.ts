/**
 * Weighted PageRank (Page, Brin, Motwani & Winograd 1999).
 *
 * graphology-metrics' implementation is used as is: it is the same computation as networkx 2.8.8's
 * `pagerank(G, alpha, weight='weight')` — transition probabilities w_ij / out-strength(i), dangling
 * nodes (out-strength 0) teleport uniformly, uniform start and personalisation 1/n, stop when
 * Σ|x − x_prev| < n·tolerance, at most maxIterations — so the values agree to rounding.
 */
import pagerankModule from 'graphology-metrics/centrality/pagerank.js';
import { DEFAULTS, withDefaults } from './defaults.js';
import { cjsDefault } from './interop.js';
import { libraryGraph, nodeRecord } from './library-ids.js';
import type { ComponentGraph, NodeValues } from './types.js';

const graphologyPagerank = cjsDefault(pagerankModule);

export interface PagerankOptions {
  alpha?: number;
  maxIterations?: number;
  tolerance?: number;
}

export function pagerank(graph: ComponentGraph, options: PagerankOptions = {}): NodeValues {
  const settings = withDefaults(DEFAULTS.pagerank, options);
  if (graph.order === 0) return nodeRecord();
  const lib = libraryGraph(graph);
  return lib.nodeValues(graphologyPagerank(lib.graph, {
    getEdgeWeight: 'weight',
    alpha: settings.alpha,
    maxIterations: settings.maxIterations,
    tolerance: settings.tolerance,
  }));
}
