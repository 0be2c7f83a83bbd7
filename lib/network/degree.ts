/** Unweighted in/out degree: the number of incoming or outgoing edges (networkx `in_degree`/`out_degree`). */
import { nodeRecord } from './library-ids.js';
import type { ComponentGraph, NodeValues } from './types.js';

export interface DegreeOptions {
  direction: 'in' | 'out';
}

export function degree(graph: ComponentGraph, options: DegreeOptions): NodeValues {
  const values: NodeValues = nodeRecord();
  graph.forEachNode((node) => {
    values[node] = options.direction === 'out' ? graph.outDegree(node) : graph.inDegree(node);
  });
  return values;
}
