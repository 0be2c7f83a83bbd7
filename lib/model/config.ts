/**
 * Reading a Hugging Face GPT-NeoX `config.json` into one typed NeoXConfig.
 *
 * Field names and defaults follow transformers' GPTNeoXConfig (v4.35): optional fields absent
 * from the file take HF's defaults; required shape fields must be present. Anything missing,
 * contradictory (hidden_size not divisible by num_attention_heads, …) or unsupported (another
 * architecture or activation) is refused with an error naming the file and the field.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { InputError, preview } from '../util/errors.js';
import { readJsonFile } from '../util/files.js';
import type { NeoXConfig } from './types.js';

/**
 * HF GPTNeoXConfig (transformers v4.35.2, configuration_gpt_neox.py) defaults for the optional
 * fields cntlens reads. HF also has defaults for the five size fields (those of gpt-neox-20b:
 * vocab 50432, hidden 6144, 44 layers, 64 heads, intermediate 24576), but `save_pretrained`
 * always writes them, so a config.json without one is broken rather than "20B by default":
 * cntlens requires them.
 */
export const HF_DEFAULTS = {
  rotary_pct: 0.25,
  rotary_emb_base: 10000,
  max_position_embeddings: 2048,
  layer_norm_eps: 1e-5,
  use_parallel_residual: true,
  hidden_act: 'gelu',
  tie_word_embeddings: false,
} as const;

/** The size fields a config.json must state. */
export const REQUIRED_FIELDS = ['vocab_size', 'hidden_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size'] as const;

/** The only architecture whose weights cntlens loads (embed_out = the LM head). */
export const SUPPORTED_ARCHITECTURE = 'GPTNeoXForCausalLM';

/** Parse an already-read config object; `file` is only used in error messages. */
export function parseConfig(raw: unknown, file = 'config.json'): NeoXConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new InputError(file, 'expected a JSON object');
  }
  const json = raw as Record<string, unknown>;
  const fail = (problem: string): never => {
    throw new InputError(file, problem);
  };

  // Which model: model_type and architectures, when present, must say GPT-NeoX causal LM.
  if (json.model_type !== undefined && json.model_type !== 'gpt_neox') {
    fail(`unsupported model_type ${preview(json.model_type)} (cntlens reads GPT-NeoX: "gpt_neox")`);
  }
  if (json.architectures !== undefined && json.architectures !== null) {
    const archs = json.architectures;
    if (!Array.isArray(archs) || !archs.every((a) => typeof a === 'string')) fail('"architectures" must be a list of strings');
    if ((archs as string[]).length > 0 && !(archs as string[]).includes(SUPPORTED_ARCHITECTURE)) {
      fail(`unsupported architecture ${preview(archs)} (cntlens reads "${SUPPORTED_ARCHITECTURE}")`);
    }
  }

  // Features of later or other GPT-NeoX variants that this port does not implement.
  if (json.rope_scaling !== undefined && json.rope_scaling !== null) {
    fail(`unsupported "rope_scaling" ${preview(json.rope_scaling)} (only plain rotary embeddings are implemented)`);
  }
  if (json.attention_bias !== undefined && json.attention_bias !== true) {
    fail(`unsupported "attention_bias" ${preview(json.attention_bias)} (the query_key_value and dense biases are part of the model)`);
  }

  const ints: Record<string, number> = {};
  for (const key of REQUIRED_FIELDS) {
    const v = json[key];
    if (v === undefined) fail(`missing required field "${key}"`);
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) fail(`"${key}" must be a positive integer, got ${preview(v)}`);
    ints[key] = v as number;
  }

  // Absent → HF default; present but null or of the wrong type → error (HF would crash later).
  const value = (key: keyof typeof HF_DEFAULTS): unknown => (json[key] === undefined ? HF_DEFAULTS[key] : json[key]);
  const num = (key: keyof typeof HF_DEFAULTS, check: (v: number) => boolean, what: string): number => {
    const v = value(key);
    if (typeof v !== 'number' || !Number.isFinite(v) || !check(v)) fail(`"${key}" must be ${what}, got ${preview(v)}`);
    return v as number;
  };
  const bool = (key: keyof typeof HF_DEFAULTS): boolean => {
    const v = value(key);
    if (typeof v !== 'boolean') fail(`"${key}" must be true or false, got ${preview(v)}`);
    return v as boolean;
  };

  let rotaryPct = num('rotary_pct', (v) => v >= 0 && v <= 1, 'a number in [0, 1]');
  let rotaryEmbBase = num('rotary_emb_base', (v) => v > 0, 'a positive number');
  [rotaryPct, rotaryEmbBase] = applyRopeParameters(json, rotaryPct, rotaryEmbBase, fail);
  const maxPositionEmbeddings = num('max_position_embeddings', (v) => Number.isSafeInteger(v) && v > 0, 'a positive integer');
  const layerNormEps = num('layer_norm_eps', (v) => v > 0, 'a positive number');
  const useParallelResidual = bool('use_parallel_residual');
  const tieWordEmbeddings = bool('tie_word_embeddings');

  const act = value('hidden_act');
  if (act !== 'gelu') {
    fail(`unsupported "hidden_act" ${preview(act)} (only the exact erf GELU "gelu" is implemented)`);
  }

  const hiddenSize = ints.hidden_size;
  const numHeads = ints.num_attention_heads;
  if (hiddenSize % numHeads !== 0) {
    fail(`"hidden_size" (${hiddenSize}) is not divisible by "num_attention_heads" (${numHeads})`);
  }
  const headSize = hiddenSize / numHeads;
  // HF: rotary_ndims = int(head_size * rotary_pct); the pairing (i, i + r/2) needs r even.
  const rotaryDims = Math.floor(headSize * rotaryPct);
  if (rotaryDims % 2 !== 0) fail(`rotary dims int(head_size * rotary_pct) = int(${headSize} * ${rotaryPct}) = ${rotaryDims} must be even`);

  return {
    vocabSize: ints.vocab_size,
    hiddenSize,
    numLayers: ints.num_hidden_layers,
    numHeads,
    intermediateSize: ints.intermediate_size,
    rotaryPct,
    rotaryEmbBase,
    maxPositionEmbeddings,
    layerNormEps,
    useParallelResidual,
    hiddenAct: 'gelu',
    tieWordEmbeddings,
    headSize,
    rotaryDims,
  };
}

/**
 * transformers ≥ 5 writes rotary settings as `rope_parameters: {rope_type, rope_theta,
 * partial_rotary_factor}` instead of rotary_emb_base / rotary_pct. Accept the plain ("default")
 * kind; refuse scaled kinds and values that contradict the old-style fields.
 */
function applyRopeParameters(json: Record<string, unknown>, pct: number, base: number, fail: (p: string) => never): [number, number] {
  const rp = json.rope_parameters;
  if (rp === undefined || rp === null) return [pct, base];
  if (typeof rp !== 'object' || Array.isArray(rp)) fail('"rope_parameters" must be an object');
  const { rope_type: type, rope_theta: theta, partial_rotary_factor: factor, ...rest } = rp as Record<string, unknown>;
  if (type !== undefined && type !== 'default') fail(`unsupported rope_parameters.rope_type ${preview(type)} (only plain rotary embeddings are implemented)`);
  if (Object.keys(rest).length > 0) fail(`unsupported rope_parameters fields ${preview(Object.keys(rest))}`);
  const pick = (v: unknown, old: string, current: number, ok: (x: number) => boolean): number => {
    if (v === undefined) return current;
    if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) fail(`rope_parameters value ${preview(v)} is invalid`);
    if (json[old] !== undefined && json[old] !== v) fail(`"${old}" (${preview(json[old])}) contradicts rope_parameters (${v})`);
    return v as number;
  };
  return [pick(factor, 'rotary_pct', pct, (x) => x >= 0 && x <= 1), pick(theta, 'rotary_emb_base', base, (x) => x > 0)];
}

/**
 * What a config implies before any weight is read: parameters (float32 values once decoded, the
 * tied LM head counted once), stored tensors (HF state-dict entries, legacy buffers aside) and
 * the largest tensor. Plain doubles, so an absurd config (num_hidden_layers 1e8) gives a number to
 * refuse rather than a loop to run (checkpoint.ts checkWeightsFit).
 */
export interface ConfigSizes {
  parameters: number;
  tensors: number;
  largestTensor: { name: string; values: number };
}

export function impliedSizes(config: NeoXConfig): ConfigSizes {
  const { vocabSize: V, hiddenSize: d, intermediateSize: f, numLayers: L } = config;
  // Per layer: 2 LayerNorms (gain, bias), query_key_value (3d×d + 3d), dense (d×d + d), MLP (f×d + f, d×f + d).
  const perLayer = 4 * d + 3 * d * d + 3 * d + d * d + d + f * d + f + d * f + d;
  const embeddings = V * d * (config.tieWordEmbeddings ? 1 : 2);
  const candidates: [string, number][] = [['gpt_neox.embed_in.weight', V * d], ['gpt_neox.layers.0.attention.query_key_value.weight', 3 * d * d], ['gpt_neox.layers.0.mlp.dense_h_to_4h.weight', f * d]];
  const [name, values] = candidates.reduce((a, b) => (b[1] > a[1] ? b : a));
  return {
    parameters: embeddings + L * perLayer + 2 * d,
    tensors: 1 + 12 * L + 2 + (config.tieWordEmbeddings ? 0 : 1),
    largestTensor: { name, values },
  };
}

/** Read `config.json` from a checkpoint folder (or a path to the file itself). */
export function readConfig(dirOrFile: string): NeoXConfig {
  const file = existsSync(dirOrFile) && statSync(dirOrFile).isDirectory() ? path.join(dirOrFile, 'config.json') : dirOrFile;
  if (!existsSync(file)) throw new InputError(file, 'no config.json (a checkpoint folder needs one)');
  return parseConfig(readJsonFile(file), file);
}

/** The config as Hugging Face writes it, for saving a checkpoint that transformers can load. */
export function configToHF(config: NeoXConfig, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    architectures: ['GPTNeoXForCausalLM'],
    model_type: 'gpt_neox',
    vocab_size: config.vocabSize,
    hidden_size: config.hiddenSize,
    num_hidden_layers: config.numLayers,
    num_attention_heads: config.numHeads,
    intermediate_size: config.intermediateSize,
    rotary_pct: config.rotaryPct,
    rotary_emb_base: config.rotaryEmbBase,
    max_position_embeddings: config.maxPositionEmbeddings,
    layer_norm_eps: config.layerNormEps,
    use_parallel_residual: config.useParallelResidual,
    hidden_act: config.hiddenAct,
    tie_word_embeddings: config.tieWordEmbeddings,
    bos_token_id: 0,
    eos_token_id: 0,
    initializer_range: 0.02,
    use_cache: true,
    ...extra,
  };
}
