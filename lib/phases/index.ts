/**
 * Learning dynamics over checkpoints: phases (change points of the metric series), their
 * confidence and labels, node roles over time, and communities tracked across checkpoints.
 */
export { analyzeSeries, BEHAVIOUR_METRICS, CONCENTRATION_METRICS, defaultTopK, keepApartReason, mergeCandidate, prepareCheckpoints } from './analyze.js';
export { describeBoundary, SLOPE_NOISE_BAND, standardised, trendSpeeds } from './boundaries.js';
export type { BoundaryChange, MetricChange } from './boundaries.js';
export { axisValues, EVEN_SPACING_RATIO, resolveAxis, slope } from './axis.js';
export type { ResolvedAxis } from './axis.js';
export {
  binarySegmentation,
  DEFAULT_MIN_SIZE,
  penaltyFormula,
  DEFAULT_MODEL,
  DEFAULT_NOISE,
  resolveChangePointOptions,
  defaultPenalty,
  detectChangePoints,
  optimalPartitioning,
  PENALTY_OFFSET,
  pelt,
  searchChangePoints,
  smallSampleFactor,
} from './changepoints.js';
export { L2Cost, LinearCost, parametersPerMetric, segmentCost, SEGMENT_MODELS } from './costs.js';
export type { SegmentCost, SegmentFit, SegmentModel } from './costs.js';
export { chiSquareSurvival, chiSquareUpperQuantile } from './chisq.js';
export { communityFlows, trackCommunities } from './communities.js';
export type { CommunityFlow, TrackedCommunity, TrackOptions } from './communities.js';
export { bootstrapConfidence, DEFAULT_TOLERANCE, penaltySweepConfidence, persistence, replicateConfidence } from './confidence.js';
export type { BootstrapOptions, SweepOptions } from './confidence.js';
export { MIN_CHECKPOINTS, parseCsv, parseSeriesCsv, readSeriesCsv } from './csv.js';
export type { CsvRecord, SeriesCsv } from './csv.js';
export { LABEL_RULES, labelPhases, matrixDistance, segmentStats } from './labels.js';
export type { DynamicsSeries, LabelledPhase, LabelRules, PhaseLabel, PhaseStats } from './labels.js';
export { jaccard, kendallTau, kendallTauOfScores, rankIds, topK } from './ranking.js';
export { DEFAULT_RECONFIGURATION, DEFAULT_ROLE_METRICS, findReconfigurations, nodeScores, ROLES, roleSeries } from './roles.js';
export type { Reconfiguration, ReconfigurationOptions, Role, RoleMetrics, RoleSeries } from './roles.js';
export { jumpMargin, REFINE_WINDOW, refineBoundaries } from './refine.js';
export type { BoundaryShape, RefinedBoundaries } from './refine.js';
export { longRunBandwidth, longRunResidualScale, mad, median, noiseScale, pooledResidualScale, robustStandardize, segmentResiduals, trendNoiseScale, trimmedScale } from './standardize.js';
export type { StandardizedSeries } from './standardize.js';
export type * from './types.js';
