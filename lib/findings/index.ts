/**
 * The study's claims as tested statistics: rank stability against structural null models,
 * reconfiguration at junctures, the long tail of edge weights, role trajectories.
 */
export { findings, FINDINGS_DEFAULTS, PERSISTENCE_RATIO, TESTED_CLAIMS } from './findings.js';
export type { Finding, FindingsInput, FindingsOptions, FindingsResult, RoleStabilityDetail, TailSummary, Verdict } from './findings.js';
export { junctureTest, largestDrops, meanDistance, randomBoundaries } from './junctures.js';
export type { JunctureTest } from './junctures.js';
export { StrengthNull, strengthZScores } from './null-strength.js';
export type { StrengthZ } from './null-strength.js';
export { consecutiveTaus, meanTransitions, persistence, rankedComponents, rankStability, roleScores, ROLES as FINDING_ROLES, structureTest } from './stability.js';
export type { RankStability, Role as FindingRole, StructureTest } from './stability.js';
export { clusterTrajectories, kMeans, meanSilhouette } from './trajectories.js';
export type { TrajectoryClustering, TrajectoryGroup } from './trajectories.js';
