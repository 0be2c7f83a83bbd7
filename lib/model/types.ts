/**
 * The public contract of the GPT-NeoX port: configuration, parameters, hook points and run
 * options. Everything else in cntlens (ablation engine, training, experiment) talks to the model
 * through these types only.
 */
import type * as tf from '@tensorflow/tfjs';

/**
 * One typed GPT-NeoX configuration, read from a Hugging Face `config.json` (see config.ts for the
 * field mapping and HF's defaults). Derived fields are computed once at parse time.
 */
export interface NeoXConfig {
  /** `vocab_size`: rows of embed_in and embed_out. */
  vocabSize: number;
  /** `hidden_size` (d_model). */
  hiddenSize: number;
  /** `num_hidden_layers`. */
  numLayers: number;
  /** `num_attention_heads`. */
  numHeads: number;
  /** `intermediate_size` (d_mlp). */
  intermediateSize: number;
  /** `rotary_pct`: share of each head's dims that rotate (HF default 0.25). */
  rotaryPct: number;
  /** `rotary_emb_base` (HF default 10000). */
  rotaryEmbBase: number;
  /** `max_position_embeddings` (HF default 2048): the longest sequence accepted. */
  maxPositionEmbeddings: number;
  /** `layer_norm_eps` (HF default 1e-5). */
  layerNormEps: number;
  /** `use_parallel_residual` (HF default true): x + attn(ln1 x) + mlp(ln2 x). */
  useParallelResidual: boolean;
  /** `hidden_act`: only the exact erf GELU ("gelu") is supported. */
  hiddenAct: 'gelu';
  /** `tie_word_embeddings` (HF default false): embed_out shares embed_in's weights. */
  tieWordEmbeddings: boolean;
  /** Derived: hiddenSize / numHeads (d_head). */
  headSize: number;
  /** Derived: int(headSize * rotaryPct), the rotating dims of each head. */
  rotaryDims: number;
}

/** A float32 tensor on the host, as read from or written to a checkpoint file. */
export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

/** A state dict in Hugging Face names and layouts (`gpt_neox.layers.0.attention.dense.weight`, …). */
export type StateDict = Map<string, HostTensor>;

/**
 * Hook points, named in the TransformerLens spirit. Shapes (b = batch, p = position, h = head):
 *
 * | hook | shape |
 * |---|---|
 * | `hook_embed` | [b, p, d_model] |
 * | `blocks.{l}.hook_resid_pre` | [b, p, d_model] |
 * | `blocks.{l}.ln1.hook_normalized` | [b, p, d_model] |
 * | `blocks.{l}.attn.hook_q` / `hook_k` / `hook_v` (before rotary) | [b, p, h, d_head] |
 * | `blocks.{l}.attn.hook_rot_q` / `hook_rot_k` (after rotary) | [b, p, h, d_head] |
 * | `blocks.{l}.attn.hook_pattern` (softmax probabilities) | [b, h, p_query, p_key] |
 * | `blocks.{l}.attn.hook_z` (weighted values, input of W_O) | [b, p, h, d_head] |
 * | `blocks.{l}.attn.hook_result` (per-head output z_h · W_O slice, no bias) | [b, p, h, d_model] |
 * | `blocks.{l}.hook_attn_out` (attention output incl. dense bias) | [b, p, d_model] |
 * | `blocks.{l}.ln2.hook_normalized` | [b, p, d_model] |
 * | `blocks.{l}.mlp.hook_pre` / `hook_post` (before / after GELU) | [b, p, d_mlp] |
 * | `blocks.{l}.hook_mlp_out` (MLP output incl. bias) | [b, p, d_model] |
 * | `blocks.{l}.hook_resid_post` | [b, p, d_model] |
 * | `ln_final.hook_normalized` | [b, p, d_model] |
 */
export type HookName = string;

/** Per-head hooks accept a `heads` restriction in a Patch. */
export const PER_HEAD_HOOKS = ['hook_q', 'hook_k', 'hook_v', 'hook_rot_q', 'hook_rot_k', 'hook_pattern', 'hook_z', 'hook_result'] as const;

/**
 * Replace a hook's value during a forward pass. The replacement is computed at full shape and
 * then applied only where the restrictions select (everything else keeps the clean value):
 * `batch` rows, `positions` (query positions for hook_pattern), `heads` (per-head hooks only).
 */
export interface Patch {
  hook: HookName;
  /** 'zero', a tensor of the hook's full shape, or a function of the clean value returning one. */
  value: 'zero' | tf.Tensor | ((clean: tf.Tensor) => tf.Tensor);
  heads?: number[];
  positions?: number[];
  batch?: number[];
}

export interface RunOptions {
  /** Hooks whose values are kept and returned in `cache` (all others are disposed). */
  capture?: Iterable<HookName> | ((name: HookName) => boolean);
  /** Replacements applied in this pass, in order. */
  patches?: Patch[];
  /**
   * Restart at this layer from a cached residual stream (`residPre` = the value of
   * `blocks.{startLayer}.hook_resid_pre`, [b, p, d_model]); tokens may then be omitted.
   */
  startLayer?: number;
  residPre?: tf.Tensor;
  /** Which logits to compute: 'all' positions (default), 'none', or a list of positions. */
  logits?: 'all' | 'none' | number[];
}

export interface RunResult {
  /** [b, p, vocab] (or [b, positions.length, vocab]); absent when logits = 'none'. Caller disposes. */
  logits?: tf.Tensor;
  /** Captured hook values. Caller disposes. */
  cache: Map<HookName, tf.Tensor>;
}
