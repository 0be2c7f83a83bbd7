/**
 * An integer-indexed view of a component graph (node i = i-th node in graph order) for the metrics
 * that graphology does not provide. Built once per call: O(n + m).
 */
import { nodeRecord } from './library-ids.js';
import type { ComponentGraph } from './types.js';

export interface Neighbor {
  node: number;
  weight: number;
}

export interface IndexedGraph {
  nodes: string[];
  index: Map<string, number>;
  /** out[i]: edges i → j, in insertion order. */
  out: Neighbor[][];
  /** in[j]: edges i → j seen from j, in insertion order. */
  in: Neighbor[][];
}

export function indexGraph(graph: ComponentGraph): IndexedGraph {
  const nodes = graph.nodes();
  const index = new Map(nodes.map((id, i) => [id, i]));
  const out: Neighbor[][] = nodes.map(() => []);
  const inbound: Neighbor[][] = nodes.map(() => []);
  graph.forEachEdge((_edge, attributes, source, target) => {
    const s = index.get(source)!;
    const t = index.get(target)!;
    out[s].push({ node: t, weight: attributes.weight });
    inbound[t].push({ node: s, weight: attributes.weight });
  });
  return { nodes, index, out, in: inbound };
}

/** Turns per-index values back into a node-id record (graph order). */
export function toNodeValues(nodes: readonly string[], values: ArrayLike<number>): Record<string, number> {
  const result: Record<string, number> = nodeRecord();
  for (let i = 0; i < nodes.length; i++) result[nodes[i]] = values[i];
  return result;
}

/** All edge weights in graph edge order. */
export function edgeWeights(graph: ComponentGraph): number[] {
  const weights: number[] = [];
  graph.forEachEdge((_edge, attributes) => {
    weights.push(attributes.weight);
  });
  return weights;
}
