/**
 * GPT-NeoX parameters in math layout (TransformerLens names), and the exact conversion to and
 * from a Hugging Face state dict.
 *
 * Layout (d = hidden, H = heads, dh = head size, V = vocab), every matrix multiplied from the
 * right, x W, so that the forward pass only does untransposed 2-D products (the fast path of the
 * wasm backend):
 *
 * | param | shape | from HF |
 * |---|---|---|
 * | W_E | [V, d] | gpt_neox.embed_in.weight |
 * | blocks[l].ln1.{w,b} | [d] | layers.l.input_layernorm.{weight,bias} |
 * | blocks[l].W_Q, W_K, W_V | [d, d] each | layers.l.attention.query_key_value.weight, transposed, split by part |
 * | blocks[l].b_Q, b_K, b_V | [d] each | its bias, split the same way |
 * | blocks[l].W_O, b_O | [d, d], [d] | layers.l.attention.dense.{weight (transposed), bias} |
 * | blocks[l].ln2.{w,b} | [d] | layers.l.post_attention_layernorm.{weight,bias} |
 * | blocks[l].W_in, b_in | [d, d_mlp], [d_mlp] | layers.l.mlp.dense_h_to_4h (transposed) |
 * | blocks[l].W_out, b_out | [d_mlp, d], [d] | layers.l.mlp.dense_4h_to_h (transposed) |
 * | ln_final.{w,b} | [d] | gpt_neox.final_layer_norm.{weight,bias} |
 * | W_U | [d, V] | embed_out.weight, transposed; absent when tie_word_embeddings (then W_Eᵀ) |
 *
 * Column h·dh + i of W_Q (W_K, W_V) is head h, dim i; in HF's fused weight the same output is row
 * h·3·dh + t·dh + i with t = 0 (1, 2) — per-head interleaved, see the fixtures' README. Three
 * separate [d, d] products cost the same as one [d, 3d] product on XNNPACK and save slicing the
 * activations. Rows of W_O are the merged heads h·dh + i, as in HF.
 */
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../util/errors.js';
import { formatBytes } from '../util/files.js';
import { refuse } from '../util/resources.js';
import { tensorLimit } from './backend.js';
import { expectedShapes } from './checkpoint.js';
import { impliedSizes } from './config.js';
import type { HostTensor, NeoXConfig, StateDict } from './types.js';

export interface LayerNormParams {
  w: tf.Tensor1D;
  b: tf.Tensor1D;
}

export interface NeoXBlockParams {
  ln1: LayerNormParams;
  /** [d, d] each: x W_Q = queries of all heads, columns h·dh + i (likewise keys, values). */
  W_Q: tf.Tensor2D;
  W_K: tf.Tensor2D;
  W_V: tf.Tensor2D;
  b_Q: tf.Tensor1D;
  b_K: tf.Tensor1D;
  b_V: tf.Tensor1D;
  /** [d, d]: z (heads merged h·dh + i) W_O. */
  W_O: tf.Tensor2D;
  b_O: tf.Tensor1D;
  ln2: LayerNormParams;
  W_in: tf.Tensor2D;
  b_in: tf.Tensor1D;
  W_out: tf.Tensor2D;
  b_out: tf.Tensor1D;
}

export interface NeoXParams {
  W_E: tf.Tensor2D;
  blocks: NeoXBlockParams[];
  ln_final: LayerNormParams;
  /** [d, V]; absent when the config ties embeddings (the unembedding is then W_Eᵀ). */
  W_U?: tf.Tensor2D;
}

/** HF names of block l's tensors. */
function hfBlock(l: number) {
  const p = `gpt_neox.layers.${l}`;
  return {
    ln1w: `${p}.input_layernorm.weight`, ln1b: `${p}.input_layernorm.bias`,
    ln2w: `${p}.post_attention_layernorm.weight`, ln2b: `${p}.post_attention_layernorm.bias`,
    qkvw: `${p}.attention.query_key_value.weight`, qkvb: `${p}.attention.query_key_value.bias`,
    densew: `${p}.attention.dense.weight`, denseb: `${p}.attention.dense.bias`,
    inw: `${p}.mlp.dense_h_to_4h.weight`, inb: `${p}.mlp.dense_h_to_4h.bias`,
    outw: `${p}.mlp.dense_4h_to_h.weight`, outb: `${p}.mlp.dense_4h_to_h.bias`,
  };
}

/** The HF tensors a config needs, with their shapes, in state_dict() order. */
export function expectedStateDictShapes(config: NeoXConfig): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  for (const [name, { shape }] of expectedShapes(config)) {
    if (name === 'embed_out.weight' && config.tieWordEmbeddings) continue;
    shapes.set(name, shape);
  }
  return shapes;
}

/**
 * Check that a state dict has every tensor the config needs, with exactly the expected shape
 * (host only, no TensorFlow.js). `source` (a folder or file) names the origin in errors. Extra
 * entries (e.g. legacy attention buffers) are allowed.
 */
export function validateStateDict(config: NeoXConfig, sd: StateDict, source = 'state dict'): void {
  for (const [name, shape] of expectedStateDictShapes(config)) {
    const t = sd.get(name);
    if (!t) throw new InputError(source, `missing tensor "${name}"`);
    if (t.shape.length !== shape.length || t.shape.some((x, i) => x !== shape[i])) {
      throw new InputError(source, `tensor "${name}" has shape [${t.shape}], the config implies [${shape}]`);
    }
    const size = shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== size) throw new InputError(source, `tensor "${name}" has ${t.data.length} values, its shape [${shape}] needs ${size}`);
  }
}

/** Build tensors in math layout from a Hugging Face state dict (validated first, see validateStateDict). */
export function paramsFromStateDict(config: NeoXConfig, sd: StateDict, source = 'state dict'): NeoXParams {
  validateStateDict(config, sd, source);
  // The weights become tensors of the backend: the wasm backend holds them in its 4 GiB memory.
  const limit = tensorLimit();
  const bytes = impliedSizes(config).parameters * 4;
  if (bytes > limit.bytes) refuse(`the model's weights need ${formatBytes(bytes)} as float32 tensors, more than the ${formatBytes(limit.bytes)} cntlens may use (${limit.source})`, { file: source });
  const { hiddenSize: d, intermediateSize: dMlp, vocabSize: V } = config;
  const get = (name: string): HostTensor => sd.get(name)!;
  const vec = (name: string): tf.Tensor1D => tf.tensor1d(get(name).data);
  /** HF Linear weight [out, in] → math [in, out]. */
  const linearT = (name: string, out: number, inp: number): tf.Tensor2D => tf.tensor2d(transpose2d(get(name).data, out, inp), [inp, out]);

  const created: tf.Tensor[] = [];
  try {
    const track = <T extends tf.Tensor>(t: T): T => (created.push(t), t);
    const W_E = track(tf.tensor2d(get('gpt_neox.embed_in.weight').data, [V, d]));
    const blocks: NeoXBlockParams[] = [];
    for (let l = 0; l < config.numLayers; l++) {
      const n = hfBlock(l);
      const qkv = qkvToMath(config, get(n.qkvw).data, get(n.qkvb).data);
      blocks.push({
        ln1: { w: track(vec(n.ln1w)), b: track(vec(n.ln1b)) },
        W_Q: track(tf.tensor2d(qkv.weights[0], [d, d])),
        W_K: track(tf.tensor2d(qkv.weights[1], [d, d])),
        W_V: track(tf.tensor2d(qkv.weights[2], [d, d])),
        b_Q: track(tf.tensor1d(qkv.biases[0])),
        b_K: track(tf.tensor1d(qkv.biases[1])),
        b_V: track(tf.tensor1d(qkv.biases[2])),
        W_O: track(linearT(n.densew, d, d)),
        b_O: track(vec(n.denseb)),
        ln2: { w: track(vec(n.ln2w)), b: track(vec(n.ln2b)) },
        W_in: track(linearT(n.inw, dMlp, d)),
        b_in: track(vec(n.inb)),
        W_out: track(linearT(n.outw, d, dMlp)),
        b_out: track(vec(n.outb)),
      });
    }
    const ln_final = { w: track(vec('gpt_neox.final_layer_norm.weight')), b: track(vec('gpt_neox.final_layer_norm.bias')) };
    const params: NeoXParams = { W_E, blocks, ln_final };
    if (!config.tieWordEmbeddings) params.W_U = track(linearT('embed_out.weight', V, d));
    return params;
  } catch (err) {
    tf.dispose(created);
    throw err;
  }
}

/**
 * The exact inverse of paramsFromStateDict: HF names, layouts and state_dict() order, float32.
 * Reads the tensors synchronously (params may be tf.Variables).
 */
export function stateDictFromParams(config: NeoXConfig, params: NeoXParams): StateDict {
  const { hiddenSize: d, intermediateSize: dMlp, vocabSize: V } = config;
  const sd: StateDict = new Map();
  const host = (t: tf.Tensor): Float32Array => Float32Array.from(t.dataSync() as Float32Array);
  const put = (name: string, shape: number[], data: Float32Array): void => {
    sd.set(name, { shape, data });
  };
  /** math [in, out] → HF Linear weight [out, in]. */
  const putLinear = (name: string, t: tf.Tensor2D): void => {
    const [inp, out] = t.shape;
    put(name, [out, inp], transpose2d(host(t), inp, out));
  };

  put('gpt_neox.embed_in.weight', [V, d], host(params.W_E));
  params.blocks.forEach((blk, l) => {
    const n = hfBlock(l);
    put(n.ln1w, [d], host(blk.ln1.w));
    put(n.ln1b, [d], host(blk.ln1.b));
    put(n.ln2w, [d], host(blk.ln2.w));
    put(n.ln2b, [d], host(blk.ln2.b));
    const qkv = qkvToHF(config, [host(blk.W_Q), host(blk.W_K), host(blk.W_V)], [host(blk.b_Q), host(blk.b_K), host(blk.b_V)]);
    put(n.qkvw, [3 * d, d], qkv.weight);
    put(n.qkvb, [3 * d], qkv.bias);
    putLinear(n.densew, blk.W_O);
    put(n.denseb, [d], host(blk.b_O));
    putLinear(n.inw, blk.W_in);
    put(n.inb, [dMlp], host(blk.b_in));
    putLinear(n.outw, blk.W_out);
    put(n.outb, [d], host(blk.b_out));
  });
  put('gpt_neox.final_layer_norm.weight', [d], host(params.ln_final.w));
  put('gpt_neox.final_layer_norm.bias', [d], host(params.ln_final.b));
  if (params.W_U) putLinear('embed_out.weight', params.W_U);
  else if (!config.tieWordEmbeddings) throw new Error('stateDictFromParams: W_U missing but the config does not tie embeddings');
  return sd;
}

/**
 * HF fused QKV (weight [3d, d] with rows h·3dh + t·dh + i, bias [3d]) → math layout: for each
 * part t (Q, K, V) a weight [d, d] with columns h·dh + i and a bias [d].
 */
export function qkvToMath(config: NeoXConfig, weight: Float32Array, bias: Float32Array): { weights: Float32Array[]; biases: Float32Array[] } {
  const { hiddenSize: d, numHeads: H, headSize: dh } = config;
  const weights = [0, 1, 2].map(() => new Float32Array(d * d));
  const biases = [0, 1, 2].map(() => new Float32Array(d));
  for (let h = 0; h < H; h++) {
    for (let t = 0; t < 3; t++) {
      for (let i = 0; i < dh; i++) {
        const hfRow = h * 3 * dh + t * dh + i;
        const col = h * dh + i;
        biases[t][col] = bias[hfRow];
        for (let c = 0; c < d; c++) weights[t][c * d + col] = weight[hfRow * d + c];
      }
    }
  }
  return { weights, biases };
}

/** Inverse of qkvToMath. */
export function qkvToHF(config: NeoXConfig, weights: Float32Array[], biases: Float32Array[]): { weight: Float32Array; bias: Float32Array } {
  const { hiddenSize: d, numHeads: H, headSize: dh } = config;
  const weight = new Float32Array(3 * d * d);
  const bias = new Float32Array(3 * d);
  for (let h = 0; h < H; h++) {
    for (let t = 0; t < 3; t++) {
      for (let i = 0; i < dh; i++) {
        const hfRow = h * 3 * dh + t * dh + i;
        const col = h * dh + i;
        bias[hfRow] = biases[t][col];
        for (let c = 0; c < d; c++) weight[hfRow * d + c] = weights[t][c * d + col];
      }
    }
  }
  return { weight, bias };
}

/** Row-major [rows, cols] → [cols, rows]. */
export function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[base + c];
  }
  return out;
}

/**
 * Every parameter with a TransformerLens-style name ('W_E', 'blocks.0.attn.W_Q',
 * 'blocks.0.ln1.w', 'blocks.0.mlp.W_in', 'ln_final.b', 'W_U', …), in a fixed order — for
 * optimisers, weight decay groups and checkpoint bookkeeping.
 */
export function namedParams(params: NeoXParams): [string, tf.Tensor][] {
  const out: [string, tf.Tensor][] = [['W_E', params.W_E]];
  params.blocks.forEach((b, l) => {
    const p = `blocks.${l}`;
    out.push(
      [`${p}.ln1.w`, b.ln1.w], [`${p}.ln1.b`, b.ln1.b],
      [`${p}.attn.W_Q`, b.W_Q], [`${p}.attn.W_K`, b.W_K], [`${p}.attn.W_V`, b.W_V],
      [`${p}.attn.b_Q`, b.b_Q], [`${p}.attn.b_K`, b.b_K], [`${p}.attn.b_V`, b.b_V],
      [`${p}.attn.W_O`, b.W_O], [`${p}.attn.b_O`, b.b_O],
      [`${p}.ln2.w`, b.ln2.w], [`${p}.ln2.b`, b.ln2.b],
      [`${p}.mlp.W_in`, b.W_in], [`${p}.mlp.b_in`, b.b_in],
      [`${p}.mlp.W_out`, b.W_out], [`${p}.mlp.b_out`, b.b_out],
    );
  });
  out.push(['ln_final.w', params.ln_final.w], ['ln_final.b', params.ln_final.b]);
  if (params.W_U) out.push(['W_U', params.W_U]);
  return out;
}

/**
 * A new NeoXParams with every tensor replaced by fn(name, tensor) (names as in namedParams),
 * e.g. `mapParams(p, (name, t) => tf.variable(t, true, name))` for training.
 */
export function mapParams(params: NeoXParams, fn: (name: string, t: tf.Tensor) => tf.Tensor): NeoXParams {
  const f = <T extends tf.Tensor>(name: string, t: T): T => fn(name, t) as T;
  const ln = (name: string, x: LayerNormParams): LayerNormParams => ({ w: f(`${name}.w`, x.w), b: f(`${name}.b`, x.b) });
  const out: NeoXParams = {
    W_E: f('W_E', params.W_E),
    blocks: params.blocks.map((b, l) => {
      const p = `blocks.${l}`;
      return {
        ln1: ln(`${p}.ln1`, b.ln1),
        W_Q: f(`${p}.attn.W_Q`, b.W_Q), W_K: f(`${p}.attn.W_K`, b.W_K), W_V: f(`${p}.attn.W_V`, b.W_V),
        b_Q: f(`${p}.attn.b_Q`, b.b_Q), b_K: f(`${p}.attn.b_K`, b.b_K), b_V: f(`${p}.attn.b_V`, b.b_V),
        W_O: f(`${p}.attn.W_O`, b.W_O), b_O: f(`${p}.attn.b_O`, b.b_O),
        ln2: ln(`${p}.ln2`, b.ln2),
        W_in: f(`${p}.mlp.W_in`, b.W_in), b_in: f(`${p}.mlp.b_in`, b.b_in),
        W_out: f(`${p}.mlp.W_out`, b.W_out), b_out: f(`${p}.mlp.b_out`, b.b_out),
      };
    }),
    ln_final: ln('ln_final', params.ln_final),
  };
  if (params.W_U) out.W_U = f('W_U', params.W_U);
  return out;
}

/** Dispose every tensor of a NeoXParams. */
export function disposeParams(params: NeoXParams): void {
  tf.dispose(namedParams(params).map(([, t]) => t));
}
