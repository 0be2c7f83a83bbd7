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
import { InputError } from '../util/errors.js';
import { readJsonFile } from '../util/files.js';
import type { NeoXConfig } from './types.js';

/** HF GPTNeoXConfig defaults for the optional fields cntlens reads. */
export const HF_DEFAULTS = {
  rotary_pct: 0.25,
  rotary_emb_base: 10000,
  max_position_embeddings: 2048,
  layer_norm_eps: 1e-5,
  use_parallel_residual: true,
  hidden_act: 'gelu',
  tie_word_embeddings: false,
} as const;

const REQUIRED_INTS = ['vocab_size', 'hidden_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size'] as const;

/** Parse an already-read config object; `file` is only used in error messages. */
export function parseConfig(raw: unknown, file = 'config.json'): NeoXConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new InputError(file, 'expected a JSON object');
  }
  const json = raw as Record<string, unknown>;
  const fail = (problem: string): never => {
    throw new InputError(file, problem);
  };

  if (json.architectures !== undefined) {
    const archs = json.architectures;
    if (!Array.isArray(archs) || !archs.every((a) => typeof a === 'string')) fail('"architectures" must be a list of strings');
    const supported = (archs as string[]).filter((a) => a.startsWith('GPTNeoX'));
    if ((archs as string[]).length > 0 && supported.length === 0) {
      fail(`unsupported architecture ${JSON.stringify(archs)} (cntlens reads GPT-NeoX: "GPTNeoXForCausalLM")`);
    }
  }
  if (json.model_type !== undefined && json.model_type !== 'gpt_neox') {
    fail(`unsupported model_type ${JSON.stringify(json.model_type)} (expected "gpt_neox")`);
  }

  if (json.rope_scaling !== undefined && json.rope_scaling !== null) {
    fail(`unsupported "rope_scaling" ${JSON.stringify(json.rope_scaling)} (only plain rotary embeddings are implemented)`);
  }

  const ints: Record<string, number> = {};
  for (const key of REQUIRED_INTS) {
    const v = json[key];
    if (v === undefined || v === null) fail(`missing required field "${key}"`);
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) fail(`"${key}" must be a positive integer, got ${JSON.stringify(v)}`);
    ints[key] = v as number;
  }

  const num = (key: keyof typeof HF_DEFAULTS, check: (v: number) => boolean, what: string): number => {
    const v = json[key] ?? HF_DEFAULTS[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || !check(v)) fail(`"${key}" must be ${what}, got ${JSON.stringify(v)}`);
    return v as number;
  };
  const bool = (key: keyof typeof HF_DEFAULTS): boolean => {
    const v = json[key] ?? HF_DEFAULTS[key];
    if (typeof v !== 'boolean') fail(`"${key}" must be true or false, got ${JSON.stringify(v)}`);
    return v as boolean;
  };

  const rotaryPct = num('rotary_pct', (v) => v >= 0 && v <= 1, 'a number in [0, 1]');
  const rotaryEmbBase = num('rotary_emb_base', (v) => v > 0, 'a positive number');
  const maxPositionEmbeddings = num('max_position_embeddings', (v) => Number.isInteger(v) && v > 0, 'a positive integer');
  const layerNormEps = num('layer_norm_eps', (v) => v > 0, 'a positive number');
  const useParallelResidual = bool('use_parallel_residual');
  const tieWordEmbeddings = bool('tie_word_embeddings');

  const act = json.hidden_act ?? HF_DEFAULTS.hidden_act;
  if (act !== 'gelu') {
    fail(`unsupported "hidden_act" ${JSON.stringify(act)} (only the exact erf GELU "gelu" is implemented)`);
  }

  const hiddenSize = ints.hidden_size;
  const numHeads = ints.num_attention_heads;
  if (hiddenSize % numHeads !== 0) {
    fail(`"hidden_size" (${hiddenSize}) is not divisible by "num_attention_heads" (${numHeads})`);
  }
  const headSize = hiddenSize / numHeads;
  // HF: rotary_ndims = int(head_size * rotary_pct); the pairing (i, i + r/2) needs r even.
  const rotaryDims = Math.floor(headSize * rotaryPct);
  if (rotaryDims % 2 !== 0) fail(`rotary dims int(head_size * rotary_pct) = ${rotaryDims} must be even`);

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
