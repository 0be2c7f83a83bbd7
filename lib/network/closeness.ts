/**
 * Weighted closeness centrality with the Wasserman–Faust correction, networkx 2.8.8's
 * `closeness_centrality(G, distance=..., wf_improved=True)`:
 *   C(u) = (r − 1) / Σ_v d(v, u) · (r − 1) / (n − 1),
 * r = number of nodes that reach u (u included), d the shortest-path length; 0 when nothing
 * reaches u. Direction 'in' uses distances TO u (networkx's own directed convention), 'out' distances
 * FROM u (networkx on G.reverse()).
 * Not graphology-metrics' `closeness`: it ignores edge weights.
 */
import { indexGraph, toNodeValues } from './adjacency.js';
import { DEFAULTS } from './defaults.js';
import { edgeLength } from './distance.js';
import { dijkstra } from './shortest-paths.js';
import type { ComponentGraph, DistanceKind, NodeValues } from './types.js';

export interface ClosenessOptions {
  direction: 'in' | 'out';
  distance?: DistanceKind;
  /** Wasserman–Faust scaling by the reachable fraction (networkx's wf_improved); default true. */
  wfImproved?: boolean;
}

export function closeness(graph: ComponentGraph, options: ClosenessOptions): NodeValues {
  const distance = options.distance ?? DEFAULTS.distance;
  const wfImproved = options.wfImproved ?? DEFAULTS.closeness.wfImproved;
  const indexed = indexGraph(graph);
  const n = indexed.nodes.length;
  const length = edgeLength(graph, distance);
  // Distances to u are distances from u on the reversed graph, whose adjacency is `in`.
  const adjacency = options.direction === 'in' ? indexed.in : indexed.out;
  const values = new Float64Array(n);
  for (let u = 0; u < n; u++) {
    const dist = dijkstra(adjacency, u, length);
    let total = 0;
    let reached = 0;
    for (const d of dist) {
      if (d === Infinity) continue;
      total += d;
      reached++;
    }
    if (total > 0 && n > 1) {
      values[u] = (reached - 1) / total;
      if (wfImproved) values[u] *= (reached - 1) / (n - 1);
    }
  }
  return toNodeValues(indexed.nodes, values);
}
