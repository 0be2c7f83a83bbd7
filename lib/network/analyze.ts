/**
 * analyzeGraph: every metric of lib/network on one graph, as the object `cntlens metrics` writes.
 * Pure (the graph is not modified) and deterministic (Louvain is seeded).
 */
import { averageClustering } from './average-clustering.js';
import { strengthAssortativity } from './assortativity.js';
import { betweenness } from './betweenness.js';
import { closeness } from './closeness.js';
import { clustering } from './clustering.js';
import { DEFAULTS, withDefaults } from './defaults.js';
import { nodeRecord } from './library-ids.js';
import { degree } from './degree.js';
import { density } from './density.js';
import { eigenvector, type EigenvectorOptions } from './eigenvector.js';
import { hits, type HitsOptions } from './hits.js';
import { katz, type KatzOptions } from './katz.js';
import { louvain, type LouvainOptions } from './louvain.js';
import { pagerank, type PagerankOptions } from './pagerank.js';
import { roles, type Roles } from './roles.js';
import { strength } from './strength.js';
import { totalWeight } from './total-weight.js';
import { weightDistribution, type WeightDistribution, type WeightDistributionOptions } from './weight-distribution.js';
import type { ComponentGraph, ComponentGraphAttributes, DistanceKind } from './types.js';

export interface AnalyzeOptions {
  /** Edge length for betweenness and closeness: 'inverse' (1/w, default) or 'neglog' (−ln(w/max)). */
  distance?: DistanceKind;
  pagerank?: PagerankOptions;
  hits?: HitsOptions;
  katz?: KatzOptions;
  eigenvector?: EigenvectorOptions;
  betweenness?: { normalized?: boolean };
  closeness?: { wfImproved?: boolean };
  louvain?: LouvainOptions;
  weights?: WeightDistributionOptions;
  roles?: { k?: number };
}

/** Per-node metrics. Null where the metric is undefined on this graph (reason in graph.notes). */
export interface NodeMetrics {
  in_strength: number;
  out_strength: number;
  in_degree: number;
  out_degree: number;
  pagerank: number;
  hub: number | null;
  authority: number | null;
  betweenness: number;
  closeness_in: number;
  closeness_out: number;
  clustering: number;
  katz: number | null;
  eigenvector: number | null;
}

export interface GraphMetrics {
  node_count: number;
  edge_count: number;
  density: number;
  total_weight: number;
  strength_assortativity: number | null;
  average_clustering: number;
  modularity: number | null;
  communities: string[][];
  weights: WeightDistribution;
  /** metric name → why it is null on this graph (absent when every metric is defined). */
  notes: Record<string, string>;
}

export interface MetricsReport {
  nodes: Record<string, NodeMetrics>;
  graph: GraphMetrics;
  roles: Roles;
  /** How the graph was built and the metric settings used, so a report can be reproduced. */
  settings: {
    graph: ComponentGraphAttributes | Record<string, never>;
    distance: DistanceKind;
    pagerank_alpha: number;
    katz_alpha: number;
    katz_beta: number;
    betweenness_normalized: boolean;
    louvain_seed: number;
    louvain_resolution: number;
    louvain_restarts: number;
    roles_k: number;
    top_fraction: number;
    tail_min_size: number;
  };
}

export function analyzeGraph(graph: ComponentGraph, options: AnalyzeOptions = {}): MetricsReport {
  const distance = options.distance ?? DEFAULTS.distance;
  const normalizedBetweenness = options.betweenness?.normalized ?? DEFAULTS.betweenness.normalized;
  const wfImproved = options.closeness?.wfImproved ?? DEFAULTS.closeness.wfImproved;
  const pagerankSettings = withDefaults(DEFAULTS.pagerank, options.pagerank);
  const katzSettings = withDefaults(DEFAULTS.katz, options.katz);
  const louvainSettings = withDefaults(DEFAULTS.louvain, options.louvain);
  const weightSettings = withDefaults(DEFAULTS.weights, options.weights);
  const rolesK = options.roles?.k ?? DEFAULTS.roles.k;

  const inStrength = strength(graph, { direction: 'in' });
  const outStrength = strength(graph, { direction: 'out' });
  const inDegree = degree(graph, { direction: 'in' });
  const outDegree = degree(graph, { direction: 'out' });
  const rank = pagerank(graph, pagerankSettings);
  const hubsAuthorities = hits(graph, options.hits);
  const between = betweenness(graph, { distance, normalized: normalizedBetweenness });
  const closenessIn = closeness(graph, { direction: 'in', distance, wfImproved });
  const closenessOut = closeness(graph, { direction: 'out', distance, wfImproved });
  const clusteringValues = clustering(graph);
  const katzValues = katz(graph, katzSettings);
  const eigen = eigenvector(graph, options.eigenvector);
  const assortativity = strengthAssortativity(graph);
  const communities = louvain(graph, louvainSettings);
  const weights = weightDistribution(graph, weightSettings);

  const notes: Record<string, string> = {};
  if (hubsAuthorities.reason) notes.hits = hubsAuthorities.reason;
  if (katzValues.reason) notes.katz = katzValues.reason;
  if (eigen.reason) notes.eigenvector = eigen.reason;
  if (assortativity.reason) notes.strength_assortativity = assortativity.reason;
  if (communities.modularity === null) notes.modularity = 'modularity is undefined on a graph without edge weight';
  if (weights.reason) notes.tail = weights.reason;

  const nodes = nodeRecord<NodeMetrics>();
  for (const id of graph.nodes()) {
    nodes[id] = {
      in_strength: inStrength[id],
      out_strength: outStrength[id],
      in_degree: inDegree[id],
      out_degree: outDegree[id],
      pagerank: rank[id],
      hub: hubsAuthorities.hubs?.[id] ?? null,
      authority: hubsAuthorities.authorities?.[id] ?? null,
      betweenness: between[id],
      closeness_in: closenessIn[id],
      closeness_out: closenessOut[id],
      clustering: clusteringValues[id],
      katz: katzValues.values?.[id] ?? null,
      eigenvector: eigen.values?.[id] ?? null,
    };
  }

  return {
    nodes,
    graph: {
      node_count: graph.order,
      edge_count: graph.size,
      density: density(graph),
      total_weight: totalWeight(graph),
      strength_assortativity: assortativity.value,
      average_clustering: averageClustering(graph, clusteringValues),
      modularity: communities.modularity,
      communities: communities.communities,
      weights: weights.values,
      notes,
    },
    roles: roles(graph, { k: rolesK, outStrength, inStrength, betweenness: between }),
    settings: {
      graph: { ...graph.getAttributes() },
      distance,
      pagerank_alpha: pagerankSettings.alpha,
      katz_alpha: katzSettings.alpha,
      katz_beta: katzSettings.beta,
      betweenness_normalized: normalizedBetweenness,
      louvain_seed: louvainSettings.seed,
      louvain_resolution: louvainSettings.resolution,
      louvain_restarts: louvainSettings.restarts,
      roles_k: rolesK,
      top_fraction: weightSettings.topFraction,
      tail_min_size: weightSettings.tailMinSize,
    },
  };
}
