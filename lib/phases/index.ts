/**
 * Learning dynamics over checkpoints: phases (change points of the metric series), their
 * confidence and labels, node roles over time, and communities tracked across checkpoints.
 */
export { analyzeSeries, BEHAVIOUR_METRICS, CONCENTRATION_METRICS, defaultTopK, prepareCheckpoints } from './analyze.js';
export { axisValues, EVEN_SPACING_RATIO, resolveAxis, slope } from './axis.js';
export type { ResolvedAxis } from './axis.js';
export {
  binarySegmentation,
  DEFAULT_MIN_SIZE,
  DEFAULT_PENALTY_FORMULA,
  defaultPenalty,
  detectChangePoints,
  L2Cost,
  optimalPartitioning,
  PENALTY_OFFSET,
  pelt,
  searchChangePoints,
  smallSampleFactor,
} from './changepoints.js';
export { chiSquareSurvival, chiSquareUpperQuantile } from './chisq.js';
export { communityFlows, trackCommunities } from './communities.js';
export type { CommunityFlow, TrackedCommunity, TrackOptions } from './communities.js';
export { bootstrapConfidence, penaltySweepConfidence, persistence } from './confidence.js';
export type { BootstrapOptions, SweepOptions } from './confidence.js';
export { MIN_CHECKPOINTS, parseCsv, parseSeriesCsv, readSeriesCsv } from './csv.js';
export type { CsvRecord, SeriesCsv } from './csv.js';
export { LABEL_RULES, labelPhases, matrixDistance, segmentStats } from './labels.js';
export type { DynamicsSeries, LabelledPhase, LabelRules, PhaseLabel, PhaseStats } from './labels.js';
export { jaccard, kendallTau, kendallTauOfScores, rankIds, topK } from './ranking.js';
export { DEFAULT_RECONFIGURATION, DEFAULT_ROLE_METRICS, findReconfigurations, nodeScores, ROLES, roleSeries } from './roles.js';
export type { Reconfiguration, ReconfigurationOptions, Role, RoleMetrics, RoleSeries } from './roles.js';
export { mad, median, noiseScale, pooledResidualScale, robustStandardize } from './standardize.js';
export type { StandardizedSeries } from './standardize.js';
export type * from './types.js';
