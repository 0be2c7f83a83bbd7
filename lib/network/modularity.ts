/**
 * Directed weighted modularity (Leicht & Newman, PRL 100, 118703, 2008), networkx 2.8.8's
 * `community.modularity(G, communities, weight='weight', resolution=1)` for a DiGraph:
 *   Q = Σ_c [ W_c / m − γ · S_c^out · S_c^in / m² ],
 * m = total weight, W_c = weight inside c, S_c^out / S_c^in = total out/in-strength of c.
 * graphology-metrics' (sparse) `modularity` computes exactly this and is used; this file checks
 * that the communities form a partition of the nodes (networkx raises NotAPartition otherwise).
 */
import modularityModule from 'graphology-metrics/graph/modularity.js';
import { cjsDefault } from './interop.js';
import { libraryGraph } from './library-ids.js';
import { OptionError } from '../util/errors.js';
import type { ComponentGraph } from './types.js';

const graphologyModularity = cjsDefault(modularityModule);

export interface ModularityOptions {
  /** Communities as lists of node ids; every node in exactly one. */
  communities: readonly (readonly string[])[];
  resolution?: number;
}

/** Null when the graph has no edge weight at all (m = 0: modularity is 0/0). */
export function modularity(graph: ComponentGraph, options: ModularityOptions): number | null {
  const communityOf = partitionIndex(graph, options.communities);
  if (graph.size === 0) return null;
  let total = 0;
  graph.forEachEdge((_edge, attributes) => {
    total += attributes.weight;
  });
  if (total === 0) return null;
  const lib = libraryGraph(graph);
  return graphologyModularity(lib.graph, {
    getNodeCommunity: (node: string) => communityOf.get(lib.realId(node))!,
    getEdgeWeight: 'weight',
    resolution: options.resolution ?? 1,
  });
}

/** node → community index; throws if `communities` is not a partition of the graph's nodes. */
export function partitionIndex(graph: ComponentGraph, communities: readonly (readonly string[])[]): Map<string, number> {
  const communityOf = new Map<string, number>();
  communities.forEach((members, c) => {
    for (const node of members) {
      if (!graph.hasNode(node)) throw new OptionError('communities', `community ${c} names ${node}, which is not in the graph`);
      if (communityOf.has(node)) throw new OptionError('communities', `node ${node} is in more than one community`);
      communityOf.set(node, c);
    }
  });
  graph.forEachNode((node) => {
    if (!communityOf.has(node)) throw new OptionError('communities', `node ${node} is in no community`);
  });
  return communityOf;
}
