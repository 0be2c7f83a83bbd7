/**
 * The influence graph of a checkpoint: ablate every head and MLP, measure every downstream
 * component (docs/ablation.md). Library API for notebooks and the experiment pipeline.
 */
import './ablations/index.js';

export { influenceSweep, fastSweepRaw, unembeddingMatrix } from './sweep.js';
export { naiveInfluenceSweep } from './naive.js';
export { computeInfluence, requestPrompts, writeInfluenceJson, type InfluenceRequest } from './influence.js';
export { runWithAblations, type AblatedRunOptions } from './ablate.js';
export { makePlan, type InfluenceModel, type InfluenceOptions, type SweepPlan } from './plan.js';
export type { InfluenceResult, InfluenceSettings, RawSweep } from './result.js';
export {
  ablationNames, getAblation, isAblation, listAblations, nodeSeed, registerAblation, unregisterAblation,
  type Ablation, type AblationContext,
} from './registry.js';
export { loadAblationPlugin, pluginFileOf } from './plugins.js';
export { BUILTIN_ABLATIONS, meanAblation, noiseAblation, resampleAblation, zeroAblation } from './ablations/index.js';
export { seededDerangement } from './ablations/resample.js';
export { gaussianNoise } from './ablations/noise.js';
export { canInfluence, componentNodes, downstreamOf, parseNodeName, LOGITS_NODE, type ComponentNode, type NodeKind } from './nodes.js';
export { parsePositions, resolveRange, formatPositions, type PositionSpec, type Range } from './positions.js';
export { MEASURES, cosineDistance, parseMeasure, relativeL2, type MeasureName } from './measures.js';
export {
  INDUCTION_DEFAULTS, defaultIclWindow, inductionBehaviour, inductionBehaviourPerPrompt, inductionHalfLength, inductionPrompts, readPromptsFile, validatePrompts,
  type BehaviourMetrics, type InductionTaskOptions, type PerPromptBehaviour,
} from './tasks.js';
export { BOOTSTRAP_DEFAULTS, bootstrapCounts, bootstrapIntervals, quantileSorted, type BootstrapOptions } from './bootstrap.js';
export { ablationHook, ablationPatches } from './patches.js';
export { logitsLogSumExp, unembedGram } from './unembed.js';
export { rowLogSumExp } from './logsumexp.js';
export { UnembedLse } from './unembed-kernel.js';
