/** Mean of the per-node weighted clustering coefficient over all nodes, zeros included (networkx `average_clustering`). */
import { clustering } from './clustering.js';
import type { ComponentGraph, NodeValues } from './types.js';

/** `perNode` lets a caller that already has the clustering values skip recomputing them. */
export function averageClustering(graph: ComponentGraph, perNode: NodeValues = clustering(graph)): number {
  const values = Object.values(perNode);
  if (values.length === 0) return 0;
  return values.reduce((a, b) => a + b, 0) / values.length;
}
