/**
 * cntlens as a library. Each area is a namespace (`model`, `ablation`, `network`, `phases`,
 * `claims` (lib/findings), `train`, `report`, `checkpoints`, `hub`, `experiment`); the calls a notebook needs most are also
 * exported by name.
 */
export * as model from './model/index.js';
export * as ablation from './ablation/index.js';
export * as network from './network/index.js';
export * as phases from './phases/index.js';
export * as claims from './findings/index.js';
export * as train from './train/index.js';
export * as report from './report/index.js';
export * as checkpoints from './checkpoints/index.js';
export * as hub from './hub/index.js';
export * as experiment from './experiment/index.js';

export { initBackend } from './model/backend.js';
export { NeoXModel } from './model/neox.js';
export { loadCheckpoint } from './model/checkpoint.js';
export { influenceSweep } from './ablation/sweep.js';
export { inductionPrompts } from './ablation/tasks.js';
export { registerAblation, type Ablation } from './ablation/registry.js';
export { graphFromInfluence } from './network/influence-graph.js';
export { analyzeGraph } from './network/analyze.js';
export { analyzeSeries } from './phases/analyze.js';
export { findings, rankStability } from './findings/index.js';
export { nullModel, roleZScores, tailTests } from './network/index.js';
export { analyzeInfluence } from './experiment/analyze.js';
export { ensureTrained } from './train/train.js';
export { writeReport } from './report/write.js';
export { resolveCheckpoints } from './checkpoints/sources.js';
export { fetchModel } from './hub/fetch.js';
export { runExperiment, mergeResults } from './experiment/pipeline.js';
