/**
 * The metrics that enter the phase detection (the columns of metrics.csv) and the graph and metric
 * settings they are computed with, shared by the per-checkpoint records (checkpoint-task.ts), the
 * series stage (series.ts) and the bootstrap replicates (replicates.ts), so all three agree.
 */
import type { AnalyzeOptions, GraphMetrics } from '../network/analyze.js';
import type { BuildOptions } from '../network/build.js';
import type { ExperimentConfig } from './config.js';

export const BEHAVIOUR_COLUMNS = ['loss_repeated', 'icl_score', 'induction_score_max'] as const;
export const GRAPH_COLUMNS = [
  'density', 'total_weight', 'strength_assortativity', 'average_clustering', 'modularity', 'communities',
  'gini', 'entropy', 'skewness', 'top10_share', 'tail_alpha', 'tail_xmin', 'tail_ks',
] as const;
/** Every metric of the detection: behaviour, then graph. */
export const DETECTION_COLUMNS = [...BEHAVIOUR_COLUMNS, ...GRAPH_COLUMNS] as const;

export type BehaviourColumn = (typeof BEHAVIOUR_COLUMNS)[number];
export type GraphColumn = (typeof GRAPH_COLUMNS)[number];
export type DetectionColumn = (typeof DETECTION_COLUMNS)[number];

/** The graph-level part of a MetricsReport that the graph columns read. */
export type GraphLevelMetrics = Pick<GraphMetrics, 'density' | 'total_weight' | 'strength_assortativity' | 'average_clustering' | 'modularity' | 'communities' | 'weights'>;

/** The graph columns of one checkpoint (null where undefined). */
export function graphColumns(g: GraphLevelMetrics): Record<GraphColumn, number | null> {
  return {
    density: g.density,
    total_weight: g.total_weight,
    strength_assortativity: g.strength_assortativity,
    average_clustering: g.average_clustering,
    modularity: g.modularity,
    communities: g.communities.length,
    gini: g.weights.gini,
    entropy: g.weights.entropy,
    skewness: g.weights.skewness,
    top10_share: g.weights.top10_share,
    tail_alpha: g.weights.tail_alpha,
    tail_xmin: g.weights.tail_xmin,
    tail_ks: g.weights.tail_ks,
  };
}

/** How the experiment builds a checkpoint's graph from its influence matrix. */
export function graphOptions(config: Pick<ExperimentConfig, 'graph'>): Pick<BuildOptions, 'logits' | 'normalize'> {
  return { logits: config.graph.logits, normalize: config.graph.normalize };
}

/** The network-metric settings of the experiment (analyzeGraph's options). */
export function analyzeOptions(config: Pick<ExperimentConfig, 'graph'>): AnalyzeOptions {
  return {
    distance: config.graph.distance,
    louvain: { seed: config.graph.louvainSeed },
    roles: { k: config.graph.rolesK },
  };
}
