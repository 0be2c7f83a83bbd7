/**
 * Node strength (Barrat et al., PNAS 2004): the sum of the weights of a node's incoming
 * (in-strength) or outgoing (out-strength) edges; networkx `G.in_degree(weight=...)` /
 * `G.out_degree(weight=...)`.
 */
import { nodeRecord } from './library-ids.js';
import type { ComponentGraph, NodeValues } from './types.js';

export interface StrengthOptions {
  direction: 'in' | 'out';
}

export function strength(graph: ComponentGraph, options: StrengthOptions): NodeValues {
  const values: NodeValues = nodeRecord();
  graph.forEachNode((node) => {
    values[node] = 0;
  });
  graph.forEachEdge((_edge, attributes, source, target) => {
    values[options.direction === 'out' ? source : target] += attributes.weight;
  });
  return values;
}
