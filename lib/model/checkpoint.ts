/**
 * Loading a Hugging Face GPT-NeoX checkpoint folder: config.json plus weights in one of (first
 * found wins, as transformers prefers safetensors):
 *
 * 1. `model.safetensors`
 * 2. `model.safetensors.index.json` + its shards (sharded safetensors)
 * 3. `pytorch_model.bin` (torch zip + pickle, read without executing anything: pickle.ts)
 * 4. `pytorch_model.bin.index.json` + its shards (sharded torch checkpoints, e.g. pythia-6.9b)
 *
 * An index is `{"metadata": {...}, "weight_map": {tensor name: shard file name}}` (what
 * transformers' `save_pretrained` writes). Every tensor is checked against config.json: each
 * expected HF name present with the expected shape, nothing else — except the legacy buffers old
 * GPT-NeoX checkpoints carry (attention.bias, attention.masked_bias, rotary_emb.inv_freq and
 * cos/sin caches), which are skipped without being decoded.
 */
import { constants as bufferConstants } from 'node:buffer';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { InputError, preview } from '../util/errors.js';
import { formatBytes, readJsonFile } from '../util/files.js';
import { checkMemory } from '../util/resources.js';
import { impliedSizes, readConfig } from './config.js';
import { ZipReader } from './zip.js';
import { readPytorchBin } from './pickle.js';
import { readSafetensors } from './safetensors.js';
import type { HostTensor, NeoXConfig, StateDict } from './types.js';

export type WeightsFormat = 'safetensors' | 'safetensors-sharded' | 'pytorch' | 'pytorch-sharded';

export interface LoadedCheckpoint {
  dir: string;
  config: NeoXConfig;
  /**
   * Float32 tensors in HF names, in HF's state_dict() order, shapes checked against the config.
   * With tie_word_embeddings, `embed_out.weight` is the same HostTensor as `gpt_neox.embed_in.weight`.
   */
  stateDict: StateDict;
  /** The weights file(s) read (for sharded checkpoints: the index, then the shards). */
  files: string[];
  format: WeightsFormat;
  /** Legacy buffers found in the weights and skipped. */
  skipped: string[];
}

/** The weights files of a folder, without reading them. */
export interface WeightsLocation {
  format: WeightsFormat;
  /** The index file of a sharded checkpoint. */
  index?: string;
  /** Weight files, in the order they are read (shards in first-use order of the weight map). */
  files: string[];
  /** For sharded checkpoints: tensor name → shard file (absolute path). */
  weightMap?: Map<string, string>;
}

const SINGLE_FILES: Array<[string, WeightsFormat]> = [
  ['model.safetensors', 'safetensors'],
  ['model.safetensors.index.json', 'safetensors-sharded'],
  ['pytorch_model.bin', 'pytorch'],
  ['pytorch_model.bin.index.json', 'pytorch-sharded'],
];

function checkFolder(dir: string): void {
  if (!existsSync(dir)) throw new InputError(dir, 'no such checkpoint folder');
  if (!statSync(dir).isDirectory()) throw new InputError(dir, 'not a folder (a checkpoint is a folder with config.json and weights)');
}

/**
 * A checkpoint folder's config.json, with the folder checked first (the same messages as
 * loadCheckpoint), for sizing a request before any weight is read.
 */
export function readCheckpointConfig(dir: string): NeoXConfig {
  checkFolder(dir);
  return readConfig(dir);
}

/** Decide which weights a folder holds (the same choice loadCheckpoint and checkpointHash make). */
export function findWeights(dir: string): WeightsLocation {
  checkFolder(dir);
  for (const [name, format] of SINGLE_FILES) {
    const file = path.join(dir, name);
    if (!existsSync(file)) continue;
    if (format === 'safetensors' || format === 'pytorch') return { format, files: [file] };
    const weightMap = readIndex(file, dir);
    return { format, index: file, files: [...new Set(weightMap.values())], weightMap };
  }
  const present = readdirSync(dir).sort().join(', ') || 'nothing';
  throw new InputError(dir, `no weights found (looked for ${SINGLE_FILES.map(([n]) => n).join(', ')}; the folder has ${present})`);
}

/** Read and check a shard index; returns tensor name → absolute shard path. */
function readIndex(indexFile: string, dir: string): Map<string, string> {
  const fail = (problem: string): never => {
    throw new InputError(indexFile, problem);
  };
  const raw = readJsonFile(indexFile);
  const weightMap = (raw as Record<string, unknown> | null)?.weight_map;
  if (typeof weightMap !== 'object' || weightMap === null || Array.isArray(weightMap)) fail('no "weight_map" object (tensor name → shard file)');
  const out = new Map<string, string>();
  for (const [name, shard] of Object.entries(weightMap as Record<string, unknown>)) {
    if (typeof shard !== 'string' || shard === '' || shard !== path.basename(shard) || shard === '.' || shard === '..' || shard.includes('\\')) {
      fail(`weight_map["${name}"] must be a file name in the checkpoint folder, got ${preview(shard)}`);
    }
    out.set(name, path.join(dir, shard as string));
  }
  if (out.size === 0) fail('"weight_map" is empty');
  for (const shard of new Set(out.values())) {
    if (!existsSync(shard)) fail(`shard "${path.basename(shard)}" named in weight_map is missing from the folder`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// What the config says the checkpoint holds.

const LEGACY_LAYER_BUFFERS = new Set(['attention.bias', 'attention.masked_bias', 'attention.rotary_emb.inv_freq', 'attention.rotary_emb.cos_cached', 'attention.rotary_emb.sin_cached']);
const LEGACY_MODEL_BUFFERS = new Set(['gpt_neox.rotary_emb.inv_freq', 'gpt_neox.rotary_emb.cos_cached', 'gpt_neox.rotary_emb.sin_cached']);

/**
 * Buffers older transformers versions saved with the weights (a causal-mask `attention.bias`,
 * `attention.masked_bias`, the rotary `inv_freq` and cos/sin caches): derived from the config,
 * never needed, so skipped. Only names of layers that exist count.
 */
export function isLegacyBuffer(name: string, config: NeoXConfig): boolean {
  if (LEGACY_MODEL_BUFFERS.has(name)) return true;
  const m = /^gpt_neox\.layers\.(\d+)\.(.+)$/.exec(name);
  return m !== null && Number(m[1]) < config.numLayers && String(Number(m[1])) === m[1] && LEGACY_LAYER_BUFFERS.has(m[2]);
}

interface Expected {
  shape: number[];
  /** The shape in config.json's words, for messages. */
  fields: string;
}

/** Every tensor a GPTNeoXForCausalLM with this config has, in HF state_dict() order. */
export function expectedShapes(config: NeoXConfig): Map<string, Expected> {
  const d = config.hiddenSize;
  const v = config.vocabSize;
  const f = config.intermediateSize;
  const out = new Map<string, Expected>();
  const add = (name: string, shape: number[], fields: string): void => {
    out.set(name, { shape, fields });
  };
  add('gpt_neox.embed_in.weight', [v, d], '[vocab_size, hidden_size]');
  for (let l = 0; l < config.numLayers; l++) {
    const p = `gpt_neox.layers.${l}`;
    for (const ln of ['input_layernorm', 'post_attention_layernorm']) {
      add(`${p}.${ln}.weight`, [d], '[hidden_size]');
      add(`${p}.${ln}.bias`, [d], '[hidden_size]');
    }
    add(`${p}.attention.query_key_value.weight`, [3 * d, d], '[3 * hidden_size, hidden_size]');
    add(`${p}.attention.query_key_value.bias`, [3 * d], '[3 * hidden_size]');
    add(`${p}.attention.dense.weight`, [d, d], '[hidden_size, hidden_size]');
    add(`${p}.attention.dense.bias`, [d], '[hidden_size]');
    add(`${p}.mlp.dense_h_to_4h.weight`, [f, d], '[intermediate_size, hidden_size]');
    add(`${p}.mlp.dense_h_to_4h.bias`, [f], '[intermediate_size]');
    add(`${p}.mlp.dense_4h_to_h.weight`, [d, f], '[hidden_size, intermediate_size]');
    add(`${p}.mlp.dense_4h_to_h.bias`, [d], '[hidden_size]');
  }
  add('gpt_neox.final_layer_norm.weight', [d], '[hidden_size]');
  add('gpt_neox.final_layer_norm.bias', [d], '[hidden_size]');
  add('embed_out.weight', [v, d], '[vocab_size, hidden_size]');
  return out;
}

const EMBED_IN = 'gpt_neox.embed_in.weight';
const EMBED_OUT = 'embed_out.weight';

/**
 * Check a state dict against the config and return it in HF order. `sourceOf(name)` names the
 * file a tensor came from (for messages). Missing, unexpected or misshapen tensors are errors.
 */
export function checkStateDict(tensors: StateDict, config: NeoXConfig, sourceOf: (name: string) => string, configFile = 'config.json'): StateDict {
  const expected = expectedShapes(config);
  for (const [name, t] of tensors) {
    const want = expected.get(name);
    if (!want) {
      throw new InputError(sourceOf(name), `unexpected tensor "${name}" (not part of a GPTNeoXForCausalLM with ${path.basename(configFile)}'s ${config.numLayers} layers)`);
    }
    if (!sameShape(t.shape, want.shape)) {
      throw new InputError(sourceOf(name), `tensor "${name}" has shape ${JSON.stringify(t.shape)}, which contradicts ${configFile} (expected ${JSON.stringify(want.shape)} = ${want.fields})`);
    }
  }
  const ordered: StateDict = new Map();
  const missing: string[] = [];
  for (const name of expected.keys()) {
    const t = tensors.get(name);
    if (t) ordered.set(name, t);
    else if (!(name === EMBED_OUT && config.tieWordEmbeddings)) missing.push(name);
  }
  if (missing.length > 0) {
    const more = missing.length > 1 ? ` (and ${missing.length - 1} more: ${missing.slice(1, 4).join(', ')}${missing.length > 4 ? ', …' : ''})` : '';
    throw new InputError(sourceOf(missing[0]), `missing tensor "${missing[0]}"${more}`);
  }
  if (config.tieWordEmbeddings) {
    const input = ordered.get(EMBED_IN) as HostTensor;
    const output = ordered.get(EMBED_OUT);
    if (output && !sameBits(input.data, output.data)) {
      throw new InputError(sourceOf(EMBED_OUT), `"${EMBED_OUT}" differs from "${EMBED_IN}", which contradicts ${configFile} (tie_word_embeddings: true)`);
    }
    ordered.set(EMBED_OUT, input);
  }
  return ordered;
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return ua.every((x, i) => x === ub[i]);
}

// ---------------------------------------------------------------------------------------------
// Sizes, checked before any weight is read.

/** The fewest bytes a stored weight may take (F16 / BF16); F32 takes 4. */
const MIN_STORED_BYTES = 2;

/** Bytes of tensor data the weight files declare: safetensors files whole; for torch zips the entries' uncompressed sizes. */
export function declaredWeightBytes(where: WeightsLocation): number {
  let total = 0;
  for (const file of where.files) {
    if (where.format === 'pytorch' || where.format === 'pytorch-sharded') {
      const zip = openZipQuietly(file);
      if (zip === null) {
        total += statSync(file).size; // not a zip: readPytorchBin says why, later
        continue;
      }
      try {
        for (const entry of zip.entries.values()) if (/\/data\/[^/]+$/.test(entry.name)) total += entry.size;
      } finally {
        zip.close();
      }
    } else {
      total += statSync(file).size;
    }
  }
  return total;
}

function openZipQuietly(file: string): ZipReader | null {
  try {
    return ZipReader.open(file);
  } catch {
    return null;
  }
}

/**
 * Refuse, before any weight is read, a checkpoint whose config.json cannot describe its weights
 * or whose weights this process cannot hold: the parameters the config implies must fit in the
 * bytes the weight files declare (at 16 bits each at least), the largest tensor in a typed array,
 * and the float32 copy of every weight (host, plus the backend's tensors) in the memory limit
 * (lib/util/resources.ts). An absurd num_hidden_layers thus stops at once, not after minutes of
 * building a billion tensor names.
 */
export function checkWeightsFit(config: NeoXConfig, where: WeightsLocation, configFile: string): void {
  const sizes = impliedSizes(config);
  const declared = declaredWeightBytes(where);
  const files = where.index ? path.basename(where.index) : where.files.map((f) => path.basename(f)).join(', ');
  const needed = sizes.parameters * MIN_STORED_BYTES;
  if (needed > declared) {
    throw new InputError(configFile, `implies ${formatCount(sizes.parameters)} parameters in ${formatCount(sizes.tensors)} tensors (num_hidden_layers ${config.numLayers}, hidden_size ${config.hiddenSize}, intermediate_size ${config.intermediateSize}, vocab_size ${config.vocabSize}), at least ${formatBytes(needed)} of weights at 16 bits, but ${files} hold${where.files.length === 1 ? 's' : ''} ${formatBytes(declared)}: the config does not describe these weights`);
  }
  const maxValues = Math.floor(bufferConstants.MAX_LENGTH / 4);
  if (sizes.largestTensor.values > maxValues) {
    throw new InputError(configFile, `tensor "${sizes.largestTensor.name}" would hold ${formatCount(sizes.largestTensor.values)} float32 values, more than a JavaScript typed array can (${formatCount(maxValues)})`);
  }
  checkMemory({
    what: `the weights of ${path.dirname(configFile)} (${formatCount(sizes.parameters)} parameters as float32)`,
    parts: [{ label: 'decoded weights', bytes: sizes.parameters * 4 }, { label: 'model tensors', bytes: sizes.parameters * 4 }],
    file: where.files.length === 1 ? where.files[0] : (where.index ?? where.files[0]),
  });
}

/** 1234567 → "1.23e6" for large counts, plain below a million. */
function formatCount(n: number): string {
  return n < 1e6 ? String(n) : n.toExponential(2).replace('e+', 'e');
}

/** Refuse a tensor with NaN or ±Infinity: a forward pass would turn every logit into null. */
export function checkFiniteWeights(stateDict: StateDict, sourceOf: (name: string) => string): void {
  for (const [name, t] of stateDict) {
    const data = t.data;
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (v - v !== 0) {
        let count = 0;
        for (let k = i; k < data.length; k++) if (data[k] - data[k] !== 0) count++;
        throw new InputError(sourceOf(name), `tensor "${name}" holds ${count} non-finite value(s) (the first, ${v}, at flat index ${i}): refusing weights that are not finite numbers`);
      }
    }
  }
}

function readWeightsFile(file: string, format: WeightsFormat, skip: (name: string) => boolean): { tensors: StateDict; skipped: string[] } {
  if (format === 'safetensors' || format === 'safetensors-sharded') {
    const skipped: string[] = [];
    const { tensors } = readSafetensors(file, {
      skip: (name) => {
        if (!skip(name)) return false;
        skipped.push(name);
        return true;
      },
    });
    return { tensors, skipped };
  }
  return readPytorchBin(file, { skip });
}

/** Read config and weights of a checkpoint folder; shapes are checked against the config. */
export function loadCheckpoint(dir: string): LoadedCheckpoint {
  checkFolder(dir);
  const config = readConfig(dir);
  const configFile = path.join(dir, 'config.json');
  const where = findWeights(dir);
  checkWeightsFit(config, where, configFile);
  const skip = (name: string): boolean => isLegacyBuffer(name, config);

  const tensors: StateDict = new Map();
  const source = new Map<string, string>();
  const skipped: string[] = [];
  for (const file of where.files) {
    const got = readWeightsFile(file, where.format, skip);
    skipped.push(...got.skipped);
    for (const [name, t] of got.tensors) {
      if (where.weightMap) {
        const listed = where.weightMap.get(name);
        if (listed === undefined) throw new InputError(file, `tensor "${name}" is not listed in ${path.basename(where.index as string)}'s weight_map`);
        if (listed !== file) throw new InputError(file, `tensor "${name}" is here, but ${path.basename(where.index as string)} puts it in "${path.basename(listed)}"`);
      }
      if (tensors.has(name)) throw new InputError(file, `tensor "${name}" appears twice (also in ${source.get(name)})`);
      tensors.set(name, t);
      source.set(name, file);
    }
  }
  if (where.weightMap) {
    // Everything the index promises must have been found in its shard (legacy buffers aside).
    for (const [name, shard] of where.weightMap) {
      if (!tensors.has(name) && !skipped.includes(name) && !skip(name)) {
        throw new InputError(shard, `tensor "${name}" is listed in ${path.basename(where.index as string)} for this shard but is not in it`);
      }
    }
  }
  const sourceOf = (name: string): string => source.get(name) ?? where.weightMap?.get(name) ?? where.files.join(', ');
  const stateDict = checkStateDict(tensors, config, sourceOf, configFile);
  checkFiniteWeights(stateDict, sourceOf);
  return { dir, config, stateDict, files: where.index ? [where.index, ...where.files] : where.files, format: where.format, skipped };
}

/**
 * A content hash of a checkpoint folder: SHA-256 over config.json and the weights files that
 * loadCheckpoint reads (index first for sharded checkpoints), streamed. Each file contributes
 * `<base name>\n<byte length>\n<bytes>`, so the hash does not depend on where the folder lives,
 * and moving bytes between files changes it. Returned as 64 lowercase hex digits.
 */
export async function checkpointHash(dir: string): Promise<string> {
  checkFolder(dir);
  const configFile = path.join(dir, 'config.json');
  if (!existsSync(configFile)) throw new InputError(configFile, 'no config.json (a checkpoint folder needs one)');
  const where = findWeights(dir);
  const files = [configFile, ...(where.index ? [where.index] : []), ...where.files];
  const hash = createHash('sha256');
  for (const file of files) {
    const size = statSync(file).size;
    hash.update(`${path.basename(file)}\n${size}\n`);
    let seen = 0;
    try {
      for await (const chunk of createReadStream(file)) {
        hash.update(chunk as Buffer);
        seen += (chunk as Buffer).length;
      }
    } catch (err) {
      throw new InputError(file, `cannot read (${(err as Error).message})`);
    }
    if (seen !== size) throw new InputError(file, 'file changed while being hashed');
  }
  return hash.digest('hex');
}
