/** Total edge weight Σ w_ij (networkx `G.size(weight='weight')`). */
import type { ComponentGraph } from './types.js';

export function totalWeight(graph: ComponentGraph): number {
  let total = 0;
  graph.forEachEdge((_edge, attributes) => {
    total += attributes.weight;
  });
  return total;
}
