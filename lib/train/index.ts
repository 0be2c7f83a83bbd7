/**
 * Training a small GPT-NeoX from scratch on synthetic induction data, saving Hugging Face
 * checkpoints on a Pythia-like schedule (docs/training.md).
 */
export { ensureTrained, trainTinyModel, readFinishedRun, LOG_FILE, CONFIG_FILE, DONE_FILE } from './train.js';
export type { TrainOptions, TrainResult, TrainSummary } from './train.js';
export { DEFAULT_TRAIN_CONFIG, resolveTrainConfig, readTrainConfig, modelConfig, modelToHF, settingsHash, TRAINER_VERSION } from './config.js';
export type { TrainConfig, ModelSpec, OptimConfig, CheckpointConfig, EvalConfig, EmbeddingMode } from './config.js';
export { SyntheticCorpus, makeMarkovLanguage, sampleSequence, planSpans, sampleNext, mixSeed, validateDataConfig } from './data.js';
export type { DataConfig, MarkovLanguage, Sequence, Span } from './data.js';
export { checkpointSteps, learningRate } from './schedule.js';
export type { CheckpointScheduleOptions, LrScheduleOptions } from './schedule.js';
export { evaluateInduction, repeatedHalfLogitPositions } from './eval.js';
export type { InductionEvaluation } from './eval.js';
export { AdamW } from './optimizer.js';
export type { AdamWOptions, TrainableParam } from './optimizer.js';
export { Trainer, nextTokenCrossEntropy } from './trainer.js';
export { initStateDict, initStds } from './init.js';
export { neoxTrainableModel, createTrainableModelFactory, isDecayedParam, resolveEmbedding } from './model.js';
export type { TrainableModel, TrainableModelFactory, ForwardOutput } from './model.js';
export { writeCheckpoint, checkpointName, removeStaleTemporaries } from './checkpoints.js';
export { formatLog, parseLog, phaseChange, LOG_HEADER } from './log.js';
export type { LogRow, PhaseChange } from './log.js';
export { ensureWasmSegmentSumKernel, unsortedSegmentSumHost } from './kernels.js';
