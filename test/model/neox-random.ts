/**
 * Small random GPT-NeoX models for tests that have no golden (sequential residual, tied
 * embeddings, gradients, hooks): HF-named state dicts with every weight and bias non-trivial,
 * drawn from the seeded Rng, in the spirit of the fixtures' weight recipe.
 */
import { parseConfig } from '../../lib/model/config.js';
import type { NeoXConfig, StateDict } from '../../lib/model/types.js';
import { Rng } from '../../lib/util/rng.js';

export function tinyConfig(overrides: Record<string, unknown> = {}): NeoXConfig {
  return parseConfig({
    vocab_size: 23,
    hidden_size: 16,
    num_hidden_layers: 2,
    num_attention_heads: 2,
    intermediate_size: 32,
    rotary_pct: 0.5,
    max_position_embeddings: 16,
    ...overrides,
  });
}

export function randomStateDict(config: NeoXConfig, seed: number): StateDict {
  const rng = new Rng(seed);
  const sd: StateDict = new Map();
  const { hiddenSize: d, intermediateSize: m, vocabSize: V } = config;
  const put = (name: string, shape: number[], draw: () => number): void => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = draw();
    sd.set(name, { shape, data });
  };
  const normal = (std: number, mean = 0) => () => mean + std * rng.normal();
  put('gpt_neox.embed_in.weight', [V, d], normal(1));
  for (let l = 0; l < config.numLayers; l++) {
    const p = `gpt_neox.layers.${l}`;
    put(`${p}.input_layernorm.weight`, [d], normal(0.2, 1));
    put(`${p}.input_layernorm.bias`, [d], normal(0.2));
    put(`${p}.post_attention_layernorm.weight`, [d], normal(0.2, 1));
    put(`${p}.post_attention_layernorm.bias`, [d], normal(0.2));
    put(`${p}.attention.query_key_value.weight`, [3 * d, d], normal(1.5 / Math.sqrt(d)));
    put(`${p}.attention.query_key_value.bias`, [3 * d], normal(0.1));
    put(`${p}.attention.dense.weight`, [d, d], normal(1 / Math.sqrt(d)));
    put(`${p}.attention.dense.bias`, [d], normal(0.1));
    put(`${p}.mlp.dense_h_to_4h.weight`, [m, d], normal(1 / Math.sqrt(d)));
    put(`${p}.mlp.dense_h_to_4h.bias`, [m], normal(0.1));
    put(`${p}.mlp.dense_4h_to_h.weight`, [d, m], normal(1 / Math.sqrt(m)));
    put(`${p}.mlp.dense_4h_to_h.bias`, [d], normal(0.1));
  }
  put('gpt_neox.final_layer_norm.weight', [d], normal(0.2, 1));
  put('gpt_neox.final_layer_norm.bias', [d], normal(0.2));
  if (!config.tieWordEmbeddings) put('embed_out.weight', [V, d], normal(1 / Math.sqrt(d)));
  return sd;
}

export function randomTokens(config: NeoXConfig, batch: number, seq: number, seed: number): number[][] {
  const rng = new Rng(seed);
  return Array.from({ length: batch }, () => Array.from({ length: seq }, () => rng.int(0, config.vocabSize)));
}

/** Host LayerNorm of each row of x [n, d] (float64 arithmetic), for expected values. */
export function hostLayerNorm(x: ArrayLike<number>, d: number, w: ArrayLike<number>, b: ArrayLike<number>, eps: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let r = 0; r < x.length / d; r++) {
    let mean = 0;
    for (let i = 0; i < d; i++) mean += x[r * d + i];
    mean /= d;
    let v = 0;
    for (let i = 0; i < d; i++) v += (x[r * d + i] - mean) ** 2;
    v /= d;
    const inv = 1 / Math.sqrt(v + eps);
    for (let i = 0; i < d; i++) out[r * d + i] = (x[r * d + i] - mean) * inv * w[i] + b[i];
  }
  return out;
}
