/**
 * Directed density m / (n (n − 1)), unweighted (networkx `density`; 0 for fewer than 2 nodes).
 * graphology-metrics' `density` computes the same ratio but gives NaN/Infinity below 2 nodes.
 */
import { directedDensity } from 'graphology-metrics/graph/density.js';
import type { ComponentGraph } from './types.js';

export function density(graph: ComponentGraph): number {
  if (graph.order < 2) return 0;
  return directedDensity(graph);
}
