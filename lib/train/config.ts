/**
 * The settings of a training run: model, data, optimiser, schedule, evaluation, seed and storage.
 * Every field has a default (DEFAULT_TRAIN_CONFIG); a JSON file or object overrides any subset,
 * section by section. Unknown keys and bad values are refused with the key's full path, so a typo
 * never silently trains the default.
 */
import { canonicalJson, sha256Hex } from '../util/hash.js';
import { InputError, preview } from '../util/errors.js';
import { readJsonFile } from '../util/files.js';
import { parseConfig } from '../model/config.js';
import type { NeoXConfig } from '../model/types.js';
import type { DataConfig } from './data.js';

/** The model, as the fields of a Hugging Face GPT-NeoX `config.json`. */
export interface ModelSpec {
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  rotary_pct: number;
  rotary_emb_base: number;
  max_position_embeddings: number;
  layer_norm_eps: number;
  use_parallel_residual: boolean;
}

export interface OptimConfig {
  /** Sequences per update. */
  batchSize: number;
  /** Peak learning rate. */
  lr: number;
  /** Linear warmup length, in updates. */
  warmupSteps: number;
  /** Cosine decay floor, as a fraction of lr. */
  minLrRatio: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Decoupled weight decay (matrices only). */
  weightDecay: number;
  /** Global gradient-norm clip (0: none). */
  gradClip: number;
}

export interface CheckpointConfig {
  /** Evenly spaced checkpoints after step 0 (the last is the final step). */
  evenly: number;
  /** Also save steps 1, 2, 4, … below the first evenly spaced one. */
  logSpaced: boolean;
  /** Weight storage type of model.safetensors. */
  dtype: 'F32' | 'F16';
}

export interface EvalConfig {
  /** Held-out induction prompts `[0] + R + R` per evaluation. */
  prompts: number;
  /** Length L of R. */
  spanLength: number;
  /** Evaluate every this many steps (and at every checkpoint). */
  every: number;
  /** Seed of the held-out prompts (independent of the training seed). */
  seed: number;
}

export type EmbeddingMode = 'auto' | 'gather' | 'onehot';

export interface TrainConfig {
  model: ModelSpec;
  data: DataConfig;
  optim: OptimConfig;
  /** Number of updates; the last checkpoint is step `steps`. */
  steps: number;
  checkpoints: CheckpointConfig;
  eval: EvalConfig;
  /** Seeds the initial weights and the training data. */
  seed: number;
  /**
   * How token embeddings are looked up during training: 'gather' (needs a gradient for gather,
   * which cntlens registers on wasm), 'onehot' (one-hot matmul), or 'auto' (the faster one on
   * the backend; see bench/train.bench.ts).
   */
  embedding: EmbeddingMode;
}

/**
 * The defaults: the model `npm run experiment` analyses. Chosen to finish within the 3-minute
 * budget on one wasm thread and to show the induction phase change with margin (docs/training.md).
 */
export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  model: {
    vocab_size: 64,
    hidden_size: 64,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    intermediate_size: 256,
    rotary_pct: 0.5,
    rotary_emb_base: 10000,
    max_position_embeddings: 128,
    layer_norm_eps: 1e-5,
    use_parallel_residual: true,
  },
  data: {
    seqLen: 32,
    branching: 8,
    spanMin: 6,
    spanMax: 15,
    spansPerSeq: 1,
  },
  optim: {
    batchSize: 16,
    lr: 3e-3,
    warmupSteps: 30,
    minLrRatio: 0.5,
    beta1: 0.9,
    beta2: 0.95,
    eps: 1e-8,
    weightDecay: 0.01,
    gradClip: 1.0,
  },
  steps: 1600,
  checkpoints: { evenly: 40, logSpaced: true, dtype: 'F32' },
  eval: { prompts: 16, spanLength: 12, every: 10, seed: 12345 },
  seed: 1,
  embedding: 'auto',
};

type Kind = 'int+' | 'int0' | 'num+' | 'num0' | 'frac' | 'frac0' | 'bool' | 'uint32' | ((v: unknown) => string | null);

const MODEL_KINDS: Record<keyof ModelSpec, Kind> = {
  vocab_size: 'int+', hidden_size: 'int+', num_hidden_layers: 'int+', num_attention_heads: 'int+', intermediate_size: 'int+',
  rotary_pct: 'frac0', rotary_emb_base: 'num+', max_position_embeddings: 'int+', layer_norm_eps: 'num+', use_parallel_residual: 'bool',
};
const DATA_KINDS: Record<keyof DataConfig, Kind> = { seqLen: 'int+', branching: 'int+', spanMin: 'int+', spanMax: 'int+', spansPerSeq: 'int0' };
const OPTIM_KINDS: Record<keyof OptimConfig, Kind> = {
  batchSize: 'int+', lr: 'num+', warmupSteps: 'int0', minLrRatio: 'frac0', beta1: 'frac0', beta2: 'frac0', eps: 'num+', weightDecay: 'num0', gradClip: 'num0',
};
const CHECKPOINT_KINDS: Record<keyof CheckpointConfig, Kind> = {
  evenly: 'int+',
  logSpaced: 'bool',
  dtype: (v) => (v === 'F32' || v === 'F16' ? null : 'must be "F32" or "F16"'),
};
const EVAL_KINDS: Record<keyof EvalConfig, Kind> = { prompts: 'int+', spanLength: 'int+', every: 'int+', seed: 'uint32' };
const TOP_KINDS: Record<'steps' | 'seed' | 'embedding', Kind> = {
  steps: 'int+',
  seed: 'uint32',
  embedding: (v) => (v === 'auto' || v === 'gather' || v === 'onehot' ? null : 'must be "auto", "gather" or "onehot"'),
};
const SECTIONS = { model: MODEL_KINDS, data: DATA_KINDS, optim: OPTIM_KINDS, checkpoints: CHECKPOINT_KINDS, eval: EVAL_KINDS } as const;

function checkValue(kind: Kind, v: unknown): string | null {
  if (typeof kind === 'function') return kind(v);
  if (kind === 'bool') return typeof v === 'boolean' ? null : 'must be true or false';
  if (typeof v !== 'number' || !Number.isFinite(v)) return 'must be a number';
  switch (kind) {
    case 'int+': return Number.isInteger(v) && v > 0 ? null : 'must be a positive integer';
    case 'int0': return Number.isInteger(v) && v >= 0 ? null : 'must be a non-negative integer';
    case 'uint32': return Number.isInteger(v) && v >= 0 && v < 2 ** 32 ? null : 'must be an integer in [0, 2^32)';
    case 'num+': return v > 0 ? null : 'must be positive';
    case 'num0': return v >= 0 ? null : 'must be >= 0';
    case 'frac': return v > 0 && v < 1 ? null : 'must be in (0, 1)';
    case 'frac0': return v >= 0 && v <= 1 ? null : 'must be in [0, 1]';
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Merge overrides (a parsed JSON object) onto the defaults and validate everything. `source`
 * names where the overrides came from in errors (a file name, or e.g. "train options").
 */
export function resolveTrainConfig(overrides: unknown = {}, source = 'train config', base: TrainConfig = DEFAULT_TRAIN_CONFIG): TrainConfig {
  const fail = (problem: string): never => {
    throw new InputError(source, problem);
  };
  if (!isObject(overrides)) fail('expected a JSON object');
  const raw = overrides as Record<string, unknown>;
  const known = [...Object.keys(SECTIONS), ...Object.keys(TOP_KINDS)];
  for (const key of Object.keys(raw)) {
    if (!known.includes(key)) fail(`unknown key "${key}" (known: ${known.join(', ')})`);
  }
  const out = structuredClone(base) as unknown as Record<string, Record<string, unknown> | unknown>;
  for (const [section, kinds] of Object.entries(SECTIONS)) {
    const value = raw[section];
    if (value === undefined) continue;
    if (!isObject(value)) fail(`"${section}" must be an object`);
    const target = out[section] as Record<string, unknown>;
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      const kind = (kinds as Record<string, Kind>)[key];
      if (!kind) fail(`unknown key "${section}.${key}" (known: ${Object.keys(kinds).join(', ')})`);
      const problem = checkValue(kind, v);
      if (problem) fail(`"${section}.${key}" ${problem}, got ${preview(v)}`);
      target[key] = v;
    }
  }
  for (const [key, kind] of Object.entries(TOP_KINDS)) {
    const v = raw[key];
    if (v === undefined) continue;
    const problem = checkValue(kind, v);
    if (problem) fail(`"${key}" ${problem}, got ${preview(v)}`);
    out[key] = v;
  }
  const config = out as unknown as TrainConfig;
  checkConsistency(config, fail);
  return config;
}

function checkConsistency(c: TrainConfig, fail: (problem: string) => never): void {
  const neox = modelConfig(c, (p) => fail(`"model": ${p}`));
  const { seqLen, branching, spanMin, spanMax } = c.data;
  if (seqLen > neox.maxPositionEmbeddings) fail(`"data.seqLen" (${seqLen}) exceeds "model.max_position_embeddings" (${neox.maxPositionEmbeddings})`);
  if (seqLen < 4) fail(`"data.seqLen" must be at least 4, got ${seqLen}`);
  if (branching > neox.vocabSize - 1) fail(`"data.branching" (${branching}) exceeds the ${neox.vocabSize - 1} content tokens of the vocabulary`);
  if (spanMax < spanMin) fail(`"data.spanMax" (${spanMax}) is below "data.spanMin" (${spanMin})`);
  if (1 + 2 * spanMax > seqLen) fail(`"data.spanMax" (${spanMax}): a span and its copy (2 × ${spanMax}) do not fit after BOS in "data.seqLen" (${seqLen})`);
  if (c.eval.spanLength < 2) fail(`"eval.spanLength" must be at least 2, got ${c.eval.spanLength}`);
  // Evaluate within the trained context: rotary attention does not extrapolate reliably.
  if (1 + 2 * c.eval.spanLength > seqLen) {
    fail(`"eval.spanLength" (${c.eval.spanLength}): prompts of 1 + 2L = ${1 + 2 * c.eval.spanLength} tokens are longer than the training sequences ("data.seqLen" ${seqLen})`);
  }
  if (c.optim.beta1 >= 1 || c.optim.beta2 >= 1) fail('"optim.beta1" and "optim.beta2" must be below 1');
}

/** The typed GPT-NeoX config of the run's model (validated by the same parser as any checkpoint). */
export function modelConfig(c: TrainConfig, onError?: (problem: string) => never): NeoXConfig {
  try {
    return parseConfig(modelToHF(c.model), 'model');
  } catch (err) {
    if (onError) onError((err as Error).message.replace(/^model: /, ''));
    throw err;
  }
}

/** The model spec as config.json fields (untied embeddings, exact GELU). */
export function modelToHF(m: ModelSpec): Record<string, unknown> {
  return { ...m, hidden_act: 'gelu', tie_word_embeddings: false };
}

/** Read a config file (JSON) of overrides and resolve it. */
export function readTrainConfig(file: string): TrainConfig {
  return resolveTrainConfig(readJsonFile(file), file);
}

/**
 * Version of the training code's numerics: bump when a change alters what the same settings
 * produce, so older trained folders are not reused as if current.
 */
export const TRAINER_VERSION = 2; // 2: final_layer_norm gain initialised to 1 (was drawn like a weight)

/** SHA-256 of the resolved settings (and trainer version): equal hash ⇒ same run. */
export function settingsHash(c: TrainConfig): string {
  return sha256Hex(canonicalJson({ trainerVersion: TRAINER_VERSION, config: c }));
}
