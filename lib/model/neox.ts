/**
 * The GPT-NeoX (Pythia) forward pass in TensorFlow.js, with TransformerLens-style hook points.
 *
 * Architecture: Black et al. 2022, "GPT-NeoX-20B" (parallel attention + MLP residual, rotary
 * embeddings on a fraction of each head, Su et al. 2021 "RoFormer"), as implemented by Hugging
 * Face transformers' GPTNeoXForCausalLM (v4.35), whose outputs the fixtures in
 * test/fixtures/neox-tiny* pin down:
 *
 *   x = W_E[tokens]
 *   for each block:  a = Attn(ln1(x));  m = MLP(ln2(x))             x = x + a + m   (parallel)
 *                    a = Attn(ln1(x));  m = MLP(ln2(x + a))         x = x + a + m   (sequential)
 *   logits = ln_final(x) W_U
 *
 * Attn: q, k, v = h W_Q + b_Q, h W_K + b_K, h W_V + b_V; rotary on the first rotaryDims dims of q and k
 * (rotate-half pairing i ↔ i + r/2); causal softmax(q kᵀ / √dh); z = pattern v; z W_O + b_O.
 * MLP: gelu(h W_in + b_in) W_out + b_out, GELU with erf (not the tanh approximation).
 *
 * Parameters are in math layout (params.ts). The plain pass (no hooks) uses only differentiable
 * ops (ops.ts), so training can call it inside tf.variableGrads on any backend.
 */
import * as tf from '@tensorflow/tfjs';
import { InputError, preview } from '../util/errors.js';
import { loadCheckpoint } from './checkpoint.js';
import { blockHook, HookRunner } from './hooks.js';
import type { BlockHookPoint } from './hooks.js';
import { channelBatchMatMul, gatherRows, gelu, layerNorm, linear } from './ops.js';
import { disposeParams, paramsFromStateDict, stateDictFromParams } from './params.js';
import type { NeoXBlockParams, NeoXParams } from './params.js';
import type { NeoXConfig, RunOptions, RunResult, StateDict } from './types.js';

/** Token ids, [batch][position], or an int32 tensor of that shape. */
export type Tokens = number[][] | tf.Tensor2D;

/** Options of the pass beyond the shared contract (all optional). */
export interface NeoXRunOptions extends RunOptions {
  /**
   * How token embeddings are read. 'gather' (default): row lookup, with a scatter-add gradient
   * (differentiable on every backend, cheap). 'onehot': one_hot(tokens) W_E, a dense product over
   * the whole vocabulary (much slower; kept for comparison / backends without gatherND).
   */
  embedding?: 'gather' | 'onehot';
  /**
   * How the per-head attention products are computed. 'conv' runs all (batch, head) pairs as one
   * depthwise convolution (4–5× faster on wasm); 'matmul' uses batched matMul. Both are
   * differentiable. Default 'auto': 'conv' on the wasm backend, 'matmul' elsewhere.
   */
  attention?: 'auto' | 'conv' | 'matmul';
}

/** float32's most negative finite value, HF's masked-score fill (torch.finfo(float32).min). */
const MASK_VALUE = -3.4028234663852886e38;

/**
 * One forward pass. `tokens` may be omitted when `options.residPre` is given (restart from a
 * cached residual stream at `options.startLayer`). Returns logits as asked and the captured hook
 * values; both belong to the caller. Every intermediate tensor is disposed.
 */
export function runNeoX(config: NeoXConfig, params: NeoXParams, tokens: Tokens | null | undefined, options: NeoXRunOptions = {}): RunResult {
  const startLayer = options.startLayer ?? 0;
  if (!Number.isInteger(startLayer) || startLayer < 0 || startLayer >= config.numLayers) {
    throw new Error(`startLayer must be an integer in [0, ${config.numLayers}), got ${startLayer}`);
  }
  const residPre = options.residPre;
  if (startLayer > 0 && !residPre) throw new Error(`startLayer ${startLayer} needs residPre (the cached blocks.${startLayer}.hook_resid_pre)`);

  let batch: number;
  let seq: number;
  let ids: number[] | tf.Tensor2D | null = null;
  if (residPre) {
    if (residPre.rank !== 3 || residPre.shape[2] !== config.hiddenSize) {
      throw new Error(`residPre must have shape [batch, pos, ${config.hiddenSize}], got [${residPre.shape}]`);
    }
    batch = residPre.shape[0] as number;
    seq = residPre.shape[1] as number;
    if (seq > config.maxPositionEmbeddings) throw new Error(`residPre has ${seq} positions, more than max_position_embeddings (${config.maxPositionEmbeddings})`);
  } else {
    if (tokens === null || tokens === undefined) throw new Error('runNeoX: tokens are required unless residPre is given');
    ({ batch, seq, ids } = readTokens(tokens, config));
  }
  const embedding = options.embedding ?? 'gather';
  if (embedding !== 'gather' && embedding !== 'onehot') throw new Error(`embedding must be 'gather' or 'onehot', got ${JSON.stringify(embedding)}`);
  const logitPositions = resolveLogitPositions(options.logits ?? 'all', seq);
  const hooks = new HookRunner(config, options, batch, seq, { layer: startLayer, fromResidual: residPre !== undefined });
  const ctx: PassContext = {
    config,
    hooks,
    batch,
    seq,
    attention: resolveAttention(options.attention ?? 'auto'),
  };

  try {
    const logits = tf.tidy(() => {
      let x: tf.Tensor; // residual stream [b, p, d]
      if (residPre) {
        x = residPre;
      } else {
        x = embed(params, ids!, batch, seq, embedding); //                  [b, p, d]
        x = hooks.apply('hook_embed', x);
      }
      ctx.rotary = rotaryTables(config, seq);
      ctx.causalMask = causalMask(seq, ctx.attention);

      // Without logits, stop after the last block whose hooks were asked for.
      const needFinal = logitPositions !== null || hooks.usesFinalLn;
      const lastLayer = needFinal ? config.numLayers - 1 : hooks.lastLayerUsed;
      for (let l = startLayer; l <= lastLayer; l++) x = transformerBlock(ctx, params.blocks[l], l, x);
      if (!needFinal) return undefined;

      let normed = layerNorm(x, params.ln_final.w, params.ln_final.b, config.layerNormEps); // [b, p, d]
      normed = hooks.apply('ln_final.hook_normalized', normed);
      if (logitPositions === null) return undefined;
      return unembed(params, selectPositions(normed, logitPositions), config); // [b, P, V]
    });
    return logits ? { logits, cache: hooks.cache } : { cache: hooks.cache };
  } catch (err) {
    hooks.disposeCache();
    throw err;
  }
}

interface PassContext {
  config: NeoXConfig;
  hooks: HookRunner;
  batch: number;
  seq: number;
  attention: 'conv' | 'matmul';
  /** Rotary tables (see rotaryTables). */
  rotary?: { cos: tf.Tensor; sin: tf.Tensor; rotateHalf: tf.Tensor2D };
  /** Additive causal mask: [p, 1, p] for 'conv', [p, p] for 'matmul'. */
  causalMask?: tf.Tensor;
}

function transformerBlock(ctx: PassContext, P: NeoXBlockParams, l: number, xIn: tf.Tensor): tf.Tensor {
  const { config, hooks } = ctx;
  const name = (point: BlockHookPoint): string => blockHook(l, point);
  const eps = config.layerNormEps;

  const x = hooks.apply(name('hook_resid_pre'), xIn); //                                      [b, p, d]
  const h1 = hooks.apply(name('ln1.hook_normalized'), layerNorm(x, P.ln1.w, P.ln1.b, eps)); // [b, p, d]
  const attnOut = attention(ctx, P, l, h1); //                                                [b, p, d]

  // HF adds in this order; keeping it makes float32 results match to the last bit more often.
  const afterAttn = config.useParallelResidual ? x : tf.add(attnOut, x); //                  [b, p, d]
  const h2 = hooks.apply(name('ln2.hook_normalized'), layerNorm(afterAttn, P.ln2.w, P.ln2.b, eps));
  const mlpOut = mlp(ctx, P, l, h2); //                                                       [b, p, d]
  const out = config.useParallelResidual ? tf.add(tf.add(mlpOut, attnOut), x) : tf.add(mlpOut, afterAttn);
  return hooks.apply(name('hook_resid_post'), out);
}

function attention(ctx: PassContext, P: NeoXBlockParams, l: number, hIn: tf.Tensor): tf.Tensor {
  const { config, hooks, batch: b, seq: p } = ctx;
  const name = (point: BlockHookPoint): string => blockHook(l, point);
  const { hiddenSize: d, numHeads: H, headSize: dh } = config;
  const N = b * p;

  const h2 = hIn.reshape([N, d]) as tf.Tensor2D; //                                  [N, d]
  const heads = (t: tf.Tensor): tf.Tensor => t.reshape([b, p, H, dh]); //            [b, p, H, dh]
  const q = hooks.apply(name('attn.hook_q'), heads(linear(h2, P.W_Q, P.b_Q)));
  const k = hooks.apply(name('attn.hook_k'), heads(linear(h2, P.W_K, P.b_K)));
  const v = hooks.apply(name('attn.hook_v'), heads(linear(h2, P.W_V, P.b_V)));
  const qRot = hooks.apply(name('attn.hook_rot_q'), applyRotary(q, ctx)); //       [b, p, H, dh]
  const kRot = hooks.apply(name('attn.hook_rot_k'), applyRotary(k, ctx)); //       [b, p, H, dh]

  // HF scales the scores by 1/sqrt(head_size) (float32); scaling q first is the same product.
  const qScaled = tf.mul(qRot, Math.fround(1 / Math.fround(Math.sqrt(dh))));
  const attend = ctx.attention === 'conv' ? attendConv : attendMatMul;
  const z = hooks.apply(name('attn.hook_z'), attend(ctx, qScaled, kRot, v, name('attn.hook_pattern'))); // [b, p, H, dh]
  const z2 = z.reshape([N, d]) as tf.Tensor2D; //                                  [N, d], heads merged h·dh + i

  // Cheap path: one 2-D product. Per-head results only when their hook is used.
  let attnOut: tf.Tensor = linear(z2, P.W_O, P.b_O); //                          [N, d]
  const resultName = name('attn.hook_result');
  if (hooks.isActive(resultName)) {
    const perHead: tf.Tensor[] = [];
    for (let h = 0; h < H; h++) {
      const zh = tf.slice(z2, [0, h * dh], [N, dh]) as tf.Tensor2D; //             [N, dh]
      const Wh = tf.slice(P.W_O, [h * dh, 0], [dh, d]) as tf.Tensor2D; //          [dh, d]
      perHead.push(linear(zh, Wh)); //                                             [N, d]
    }
    const result = hooks.apply(resultName, tf.stack(perHead, 1).reshape([b, p, H, d])); // [b, p, H, d]
    if (hooks.isPatched(resultName)) attnOut = tf.add(tf.sum(result, 2).reshape([N, d]), P.b_O);
  }
  return hooks.apply(name('hook_attn_out'), attnOut.reshape([b, p, d]));
}

/**
 * Causal attention with the per-(batch, head) products as depthwise convolutions
 * (channelBatchMatMul, channels c = b·H + h). q is already scaled. Returns z [b, p, H, dh].
 */
function attendConv(ctx: PassContext, q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, patternHook: string): tf.Tensor {
  const { hooks, batch: b, seq: p } = ctx;
  const { numHeads: H, headSize: dh } = ctx.config;
  const C = b * H;
  const qc = tf.transpose(q, [1, 3, 0, 2]).reshape([p, dh, C]) as tf.Tensor3D; //   [p_q, dh, C]
  const kc = tf.transpose(k, [3, 0, 2, 1]).reshape([dh, C, p]) as tf.Tensor3D; //   [dh, C, p_k]
  const scores = tf.add(channelBatchMatMul(qc, kc), ctx.causalMask!); //            [p_q, C, p_k]
  let pattern = tf.softmax(scores); //                                              [p_q, C, p_k]
  if (hooks.isActive(patternHook)) {
    const asHook = tf.transpose(pattern.reshape([p, b, H, p]), [1, 2, 0, 3]); //    [b, H, p_q, p_k]
    pattern = tf.transpose(hooks.apply(patternHook, asHook), [2, 0, 1, 3]).reshape([p, C, p]);
  }
  const pc = tf.transpose(pattern, [0, 2, 1]) as tf.Tensor3D; //                    [p_q, p_k, C]
  const vc = tf.transpose(v, [1, 0, 2, 3]).reshape([p, C, dh]) as tf.Tensor3D; //  [p_k, C, dh]
  const z = channelBatchMatMul(pc, vc); //                                          [p_q, C, dh]
  return tf.transpose(z.reshape([p, b, H, dh]), [1, 0, 2, 3]); //                  [b, p, H, dh]
}

/** The same with batched matMul (the usual formulation; faster on native backends). */
function attendMatMul(ctx: PassContext, q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, patternHook: string): tf.Tensor {
  const headsFirst = (t: tf.Tensor): tf.Tensor => tf.transpose(t, [0, 2, 1, 3]); // [b, H, p, dh]
  const scores = tf.add(tf.matMul(headsFirst(q), headsFirst(k), false, true), ctx.causalMask!); // [b, H, p_q, p_k]
  const pattern = ctx.hooks.apply(patternHook, tf.softmax(scores)); //                     [b, H, p_q, p_k]
  return tf.transpose(tf.matMul(pattern, headsFirst(v)), [0, 2, 1, 3]); //                 [b, p, H, dh]
}

function mlp(ctx: PassContext, P: NeoXBlockParams, l: number, hIn: tf.Tensor): tf.Tensor {
  const { config, hooks, batch: b, seq: p } = ctx;
  const name = (point: BlockHookPoint): string => blockHook(l, point);
  const N = b * p;
  const pre = linear(hIn.reshape([N, config.hiddenSize]) as tf.Tensor2D, P.W_in, P.b_in); //  [N, d_mlp]
  const preH = hooks.apply(name('mlp.hook_pre'), pre.reshape([b, p, config.intermediateSize]));
  const post = hooks.apply(name('mlp.hook_post'), gelu(preH)); //                         [b, p, d_mlp]
  const out = linear(post.reshape([N, config.intermediateSize]) as tf.Tensor2D, P.W_out, P.b_out); // [N, d]
  return hooks.apply(name('hook_mlp_out'), out.reshape([b, p, config.hiddenSize]));
}

/**
 * Rotary position embedding, GPT-NeoX / rotate-half style, on the first r = rotaryDims dims of
 * every head: x' = x·cos + rotate_half(x)·sin, rotate_half(x) = [-x₂, x₁, 0…] (x₁, x₂ the two
 * halves of the rotating dims; pass-through dims have cos 1 and sin 0). rotate_half is a signed
 * permutation, applied as a [dh, dh] product: on wasm that is far cheaper than slicing the
 * head axis into pieces of r/2 floats, and it is exact (one ±1 term per output).
 */
function applyRotary(x: tf.Tensor, ctx: PassContext): tf.Tensor {
  if (ctx.config.rotaryDims === 0) return x;
  const { cos, sin, rotateHalf } = ctx.rotary!;
  const [b, p, H, dh] = x.shape;
  const swapped = linear(x.reshape([b * p * H, dh]) as tf.Tensor2D, rotateHalf).reshape([b, p, H, dh]);
  return tf.add(tf.mul(x, cos), tf.mul(swapped, sin)); //                           [b, p, H, dh]
}

/** Host copies of cos/sin tables, per (positions, head size, rotary dims, base). */
const rotaryCache = new Map<string, { cos: Float32Array; sin: Float32Array }>();

/**
 * Tables for applyRotary, built as HF builds them in float32: inv_freq[i] = 1 / base^(2i/r),
 * angle = pos · inv_freq[i], emb = [angles, angles]; cos and sin are [p, 1, dh] with cos 1 and
 * sin 0 beyond the rotating dims; rotateHalf [dh, dh] maps x to [-x₂, x₁, 0…].
 */
export function rotaryTables(config: NeoXConfig, p: number): { cos: tf.Tensor; sin: tf.Tensor; rotateHalf: tf.Tensor2D } {
  const { rotaryDims: r, headSize: dh } = config;
  const half = r / 2;
  const key = `${p}:${dh}:${r}:${config.rotaryEmbBase}`;
  let host = rotaryCache.get(key);
  if (!host) {
    const cos = new Float32Array(p * dh).fill(1);
    const sin = new Float32Array(p * dh);
    const f = Math.fround;
    const invFreq = Array.from({ length: half }, (_, i) => f(1 / f(config.rotaryEmbBase ** f((2 * i) / r))));
    for (let t = 0; t < p; t++) {
      for (let i = 0; i < half; i++) {
        const angle = f(t * invFreq[i]);
        cos[t * dh + i] = cos[t * dh + half + i] = f(Math.cos(angle));
        sin[t * dh + i] = sin[t * dh + half + i] = f(Math.sin(angle));
      }
    }
    host = { cos, sin };
    rotaryCache.set(key, host);
  }
  const rotateHalf = new Float32Array(dh * dh); // [from, to]
  for (let i = 0; i < half; i++) {
    rotateHalf[(i + half) * dh + i] = -1; //  out[i] = -x[i + r/2]
    rotateHalf[i * dh + (i + half)] = 1; //   out[i + r/2] = x[i]
  }
  return { cos: tf.tensor(host.cos, [p, 1, dh]), sin: tf.tensor(host.sin, [p, 1, dh]), rotateHalf: tf.tensor2d(rotateHalf, [dh, dh]) };
}

/** Additive causal mask: 0 on and below the diagonal, float32 min above (softmax → exactly 0). */
function causalMask(p: number, layout: 'conv' | 'matmul'): tf.Tensor {
  const data = new Float32Array(p * p);
  for (let i = 0; i < p; i++) for (let j = i + 1; j < p; j++) data[i * p + j] = MASK_VALUE;
  return tf.tensor(data, layout === 'conv' ? [p, 1, p] : [p, p]);
}

function embed(params: NeoXParams, ids: number[] | tf.Tensor2D, b: number, p: number, how: 'gather' | 'onehot'): tf.Tensor {
  const flat = (Array.isArray(ids) ? tf.tensor1d(ids, 'int32') : ids.reshape([b * p])) as tf.Tensor1D; // [N]
  const [V, d] = params.W_E.shape;
  const rows = how === 'gather'
    ? gatherRows(params.W_E, flat) //                                                 [N, d]
    : linear(tf.oneHot(flat, V).toFloat() as tf.Tensor2D, params.W_E); //             [N, V] x [V, d]
  return rows.reshape([b, p, d]);
}

function unembed(params: NeoXParams, x: tf.Tensor, config: NeoXConfig): tf.Tensor {
  const [b, P, d] = x.shape;
  const W_U = params.W_U ?? (tf.transpose(params.W_E) as tf.Tensor2D); //          [d, V]
  return linear(x.reshape([b * P, d]) as tf.Tensor2D, W_U).reshape([b, P, config.vocabSize]);
}

/** x [b, p, d] at the given positions → [b, P, d] (differentiable). */
function selectPositions(x: tf.Tensor, positions: number[] | 'all'): tf.Tensor {
  if (positions === 'all') return x;
  const byPos = tf.transpose(x, [1, 0, 2]); //                                       [p, b, d]
  return tf.transpose(gatherRows(byPos, tf.tensor1d(positions, 'int32')), [1, 0, 2]); // [b, P, d]
}

function resolveLogitPositions(logits: RunOptions['logits'], seq: number): number[] | 'all' | null {
  if (logits === 'none') return null;
  if (logits === 'all') return 'all';
  if (!Array.isArray(logits)) throw new Error(`logits must be 'all', 'none' or a list of positions, got ${JSON.stringify(logits)}`);
  for (const t of logits) {
    if (!Number.isInteger(t) || t < 0 || t >= seq) throw new Error(`logits position ${t} out of range [0, ${seq})`);
  }
  const isAll = logits.length === seq && logits.every((t, i) => t === i);
  return isAll ? 'all' : logits;
}

function resolveAttention(choice: NeoXRunOptions['attention']): 'conv' | 'matmul' {
  if (choice === 'conv' || choice === 'matmul') return choice;
  if (choice !== 'auto') throw new Error(`attention must be 'auto', 'conv' or 'matmul', got ${JSON.stringify(choice)}`);
  return tf.getBackend() === 'wasm' ? 'conv' : 'matmul';
}

/**
 * Why a list of token rows cannot be fed to the model, or null when it can: rectangular,
 * non-empty, integer ids in [0, vocab), at most max_position_embeddings positions.
 */
export function checkTokens(tokens: unknown, config: NeoXConfig): string | null {
  if (!Array.isArray(tokens) || tokens.length === 0) return 'expected a non-empty list of token rows ([[id, …], …])';
  let width = -1;
  for (let r = 0; r < tokens.length; r++) {
    const row = tokens[r];
    if (!Array.isArray(row)) return `row ${r} is not a list of token ids`;
    if (row.length === 0) return `row ${r} is empty`;
    if (width === -1) width = row.length;
    else if (row.length !== width) return `rows differ in length (row 0 has ${width} ids, row ${r} has ${row.length}); all rows must have the same length`;
    for (let t = 0; t < row.length; t++) {
      const id = row[t];
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= config.vocabSize) {
        return `token ${preview(id)} at row ${r}, position ${t} is not an integer id in [0, ${config.vocabSize})`;
      }
    }
  }
  if (width > config.maxPositionEmbeddings) return `rows have ${width} tokens, more than max_position_embeddings (${config.maxPositionEmbeddings})`;
  return null;
}

function readTokens(tokens: Tokens, config: NeoXConfig): { batch: number; seq: number; ids: number[] | tf.Tensor2D } {
  if (tokens instanceof tf.Tensor) {
    if (tokens.rank !== 2 || tokens.dtype !== 'int32') throw new InputError('tokens', `expected an int32 tensor [batch, pos], got ${tokens.dtype} [${tokens.shape}]`);
    const [batch, seq] = tokens.shape;
    if (batch === 0 || seq === 0) throw new InputError('tokens', `empty token tensor [${tokens.shape}]`);
    if (seq > config.maxPositionEmbeddings) throw new InputError('tokens', `rows have ${seq} tokens, more than max_position_embeddings (${config.maxPositionEmbeddings})`);
    const data = tokens.dataSync();
    for (let i = 0; i < data.length; i++) {
      if (data[i] < 0 || data[i] >= config.vocabSize) {
        throw new InputError('tokens', `token ${data[i]} at row ${Math.floor(i / seq)}, position ${i % seq} is not an id in [0, ${config.vocabSize})`);
      }
    }
    return { batch, seq, ids: tokens };
  }
  const problem = checkTokens(tokens, config);
  if (problem) throw new InputError('tokens', problem);
  return { batch: tokens.length, seq: tokens[0].length, ids: tokens.flat() };
}

/** A GPT-NeoX model: config + parameters (owned; dispose() frees them). */
export class NeoXModel {
  constructor(
    readonly config: NeoXConfig,
    readonly params: NeoXParams,
  ) {}

  /** Load a Hugging Face checkpoint folder (config.json + model.safetensors / shards / pytorch_model.bin). */
  static async load(dir: string): Promise<NeoXModel> {
    const { config, stateDict } = await loadCheckpoint(dir);
    return new NeoXModel(config, paramsFromStateDict(config, stateDict, dir));
  }

  static fromStateDict(config: NeoXConfig, sd: StateDict): NeoXModel {
    return new NeoXModel(config, paramsFromStateDict(config, sd));
  }

  run(tokens: Tokens | null | undefined, options: NeoXRunOptions = {}): RunResult {
    return runNeoX(this.config, this.params, tokens, options);
  }

  toStateDict(): StateDict {
    return stateDictFromParams(this.config, this.params);
  }

  dispose(): void {
    disposeParams(this.params);
  }
}
