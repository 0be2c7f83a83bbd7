/**
 * Betweenness centrality (Freeman 1977) by Brandes' algorithm (J. Math. Sociol. 2001) with
 * Dijkstra on edge lengths from distance.ts (default 1/w).
 *
 * graphology-metrics' `betweenness` is used with a getter that returns the length: its indexed
 * Dijkstra-Brandes is a port of networkx's `_single_source_dijkstra_path_basic` (same exact-tie
 * rule) and its rescaling is networkx's: normalized → divide by (n−1)(n−2) for a directed graph,
 * not normalized → raw pair-dependency sums (no halving for directed graphs).
 */
import betweennessModule from 'graphology-metrics/centrality/betweenness.js';
import { DEFAULTS } from './defaults.js';
import { edgeLength } from './distance.js';
import { cjsDefault } from './interop.js';
import { libraryGraph, nodeRecord } from './library-ids.js';
import type { ComponentEdgeAttributes, ComponentGraph, DistanceKind, NodeValues } from './types.js';

const graphologyBetweenness = cjsDefault(betweennessModule);

export interface BetweennessOptions {
  distance?: DistanceKind;
  normalized?: boolean;
}

export function betweenness(graph: ComponentGraph, options: BetweennessOptions = {}): NodeValues {
  const distance = options.distance ?? DEFAULTS.distance;
  const normalized = options.normalized ?? DEFAULTS.betweenness.normalized;
  if (graph.order === 0) return nodeRecord();
  const length = edgeLength(graph, distance);
  const lib = libraryGraph(graph);
  return lib.nodeValues(graphologyBetweenness(lib.graph, {
    getEdgeWeight: (_edge: string, attributes: ComponentEdgeAttributes) => length(attributes.weight),
    normalized,
  }));
}
