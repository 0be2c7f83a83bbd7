/**
 * lib/network: a transformer's component graph as a complex network. Build a graph from an
 * influence matrix or an edge list, compute networkx-conventioned metrics, export it.
 * Conventions, defaults and citations: docs/network.md.
 */
export type {
  ComponentGraph, ComponentNodeAttributes, ComponentEdgeAttributes, ComponentGraphAttributes, NodeKind,
  NegativePolicy, Normalization, PruneSpec, DistanceKind, NodeValues, MaybeNodeValues,
} from './types.js';
export { DEFAULTS } from './defaults.js';
export { headId, mlpId, LOGITS_ID, parseComponentId, nodeAttributesOf } from './node-id.js';

// Building graphs
export { buildComponentGraph, percentile, type BuildOptions, type RawEdge } from './build.js';
export { graphFromInfluence, validateInfluence, type InfluenceJson } from './influence-graph.js';
export { graphFromEdgeList, validateEdgeList, type EdgeListJson } from './edge-list-graph.js';
export { readInfluenceGraph, readEdgeListGraph } from './read.js';

// Per-node metrics
export { strength, type StrengthOptions } from './strength.js';
export { degree, type DegreeOptions } from './degree.js';
export { pagerank, type PagerankOptions } from './pagerank.js';
export { hits, type HitsOptions, type HitsResult } from './hits.js';
export { betweenness, type BetweennessOptions } from './betweenness.js';
export { closeness, type ClosenessOptions } from './closeness.js';
export { katz, type KatzOptions } from './katz.js';
export { eigenvector, type EigenvectorOptions } from './eigenvector.js';
export { clustering } from './clustering.js';
export { edgeLength } from './distance.js';
export { isStronglyConnected } from './connectivity.js';

// Per-graph metrics
export { density } from './density.js';
export { totalWeight } from './total-weight.js';
export { strengthAssortativity, pearson, type AssortativityResult } from './assortativity.js';
export { averageClustering } from './average-clustering.js';
export { modularity, type ModularityOptions } from './modularity.js';
export { louvain, type LouvainOptions, type LouvainResult } from './louvain.js';
export { gini } from './gini.js';
export { entropy } from './entropy.js';
export { skewness } from './skewness.js';
export { topShare } from './top-share.js';
export { fitPowerLawTail, type PowerLawFit, type PowerLawResult } from './power-law.js';
export {
  tailTests, TAIL_TEST_DEFAULTS, type TailTestResult, type TailTestOptions, type LikelihoodRatioTest,
} from './tail-tests.js';
export {
  weightDistribution, type WeightDistribution, type WeightDistributionOptions, type WeightDistributionResult,
} from './weight-distribution.js';

// Roles, the full report, exports
export { roles, topK, type Roles, type RolesOptions } from './roles.js';
export { analyzeGraph, type AnalyzeOptions, type MetricsReport, type NodeMetrics, type GraphMetrics } from './analyze.js';
export {
  exportGraph, exportFormatOf, writeGraphExport, edgeList, EXPORT_FORMATS, type ExportFormat,
} from './export.js';

// Structural null models: node statistics against weight permutations on the allowed-edge DAG
export {
  allowedEdges, nullModel, layerNormalisedStrength, NULL_MODEL_KINDS,
  type AllowedEdge, type AllowedEdgesOptions, type NullModelKind, type LayerNormalisedStrength,
} from './null-models.js';
export {
  roleZScores, ROLE_STATISTICS, ROLE_Z_DEFAULTS,
  type RoleStatistic, type RoleZ, type RoleZOptions, type RoleZResult,
} from './role-z.js';
