/**
 * Weighted directed clustering coefficient (Fagiolo, Phys. Rev. E 76, 026107, 2007), with
 * networkx 2.8.8's `clustering(G, weight='weight')` conventions for directed graphs:
 *   ŵ_ij = (w_ij / w_max)^(1/3)   (w_max = the largest weight in the graph),
 *   c_i = [(Ŵ + Ŵᵀ)³]_ii / (2 · (d_i^tot (d_i^tot − 1) − 2 d_i^↔)),
 * d^tot = in-degree + out-degree, d^↔ = number of reciprocated neighbours (self-loops ignored).
 * The numerator sums, over every ordered neighbour pair (j, k) of i, the geometric mean of the
 * three weights of the triangle i, j, k whichever way its edges point; 0 where there is no triangle.
 * graphology has no clustering coefficient.
 */
import { indexGraph, toNodeValues } from './adjacency.js';
import type { ComponentGraph, NodeValues } from './types.js';

export function clustering(graph: ComponentGraph): NodeValues {
  const { nodes, out, in: inbound } = indexGraph(graph);
  const n = nodes.length;
  let maxWeight = 0;
  graph.forEachEdge((_edge, attributes) => {
    maxWeight = Math.max(maxWeight, attributes.weight);
  });
  // s[i][j] = ŵ_ij + ŵ_ji: the symmetrised cube-root weight (Ŵ + Ŵᵀ), dense for O(1) look-up.
  const s = Array.from({ length: n }, () => new Float64Array(n));
  for (let i = 0; i < n; i++) {
    for (const { node: j, weight } of out[i]) {
      if (j === i) continue;
      const root = Math.cbrt(weight / maxWeight);
      s[i][j] += root;
      s[j][i] += root;
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const successors = new Set(out[i].map((e) => e.node).filter((j) => j !== i));
    const predecessors = new Set(inbound[i].map((e) => e.node).filter((j) => j !== i));
    const neighbours = [...new Set([...successors, ...predecessors])];
    let triangles = 0;
    for (const j of neighbours) for (const k of neighbours) if (j !== k) triangles += s[i][j] * s[j][k] * s[k][i];
    const total = successors.size + predecessors.size;
    const reciprocal = [...successors].filter((j) => predecessors.has(j)).length;
    const denominator = 2 * (total * (total - 1) - 2 * reciprocal);
    values[i] = triangles === 0 ? 0 : triangles / denominator;
  }
  return toNodeValues(nodes, values);
}
