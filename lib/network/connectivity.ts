/** Strong connectivity: every node reaches every other along directed edges. */
import { indexGraph, type Neighbor } from './adjacency.js';
import type { ComponentGraph } from './types.js';

/**
 * True when the graph is strongly connected: node 0 reaches all nodes, and all nodes reach node 0
 * (two searches, O(n + m)). The empty graph is not.
 */
export function isStronglyConnected(graph: ComponentGraph): boolean {
  if (graph.order === 0) return false;
  const { out, in: inbound } = indexGraph(graph);
  return reachesAll(out) && reachesAll(inbound);
}

function reachesAll(adjacency: readonly Neighbor[][]): boolean {
  const seen = new Uint8Array(adjacency.length);
  const stack = [0];
  seen[0] = 1;
  let count = 1;
  while (stack.length > 0) {
    const v = stack.pop()!;
    for (const { node } of adjacency[v]) {
      if (seen[node]) continue;
      seen[node] = 1;
      count++;
      stack.push(node);
    }
  }
  return count === adjacency.length;
}
