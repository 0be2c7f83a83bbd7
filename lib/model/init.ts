/**
 * Fresh GPT-NeoX weights as Hugging Face initialises them (GPTNeoXPreTrainedModel._init_weights,
 * transformers v4.35): Linear and Embedding weights ~ N(0, initializer_range²), Linear biases 0,
 * LayerNorm weight 1 and bias 0. Drawn from the seeded Rng in HF state_dict() order, so a seed
 * always gives the same model (the values differ from PyTorch's generator).
 */
import { Rng } from '../util/rng.js';
import type { NeoXConfig, StateDict } from './types.js';

export interface InitOptions {
  seed?: number;
  /** Standard deviation of weights and embeddings (HF initializer_range, default 0.02). */
  std?: number;
}

export function initStateDict(config: NeoXConfig, options: InitOptions = {}): StateDict {
  const rng = new Rng(options.seed ?? 0);
  const std = options.std ?? 0.02;
  const { hiddenSize: d, intermediateSize: m, vocabSize: V } = config;
  const sd: StateDict = new Map();
  const normal = (name: string, shape: number[]): void => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = std * rng.normal();
    sd.set(name, { shape, data });
  };
  const constant = (name: string, n: number, value: number): void => {
    sd.set(name, { shape: [n], data: new Float32Array(n).fill(value) });
  };
  normal('gpt_neox.embed_in.weight', [V, d]);
  for (let l = 0; l < config.numLayers; l++) {
    const p = `gpt_neox.layers.${l}`;
    constant(`${p}.input_layernorm.weight`, d, 1);
    constant(`${p}.input_layernorm.bias`, d, 0);
    constant(`${p}.post_attention_layernorm.weight`, d, 1);
    constant(`${p}.post_attention_layernorm.bias`, d, 0);
    normal(`${p}.attention.query_key_value.weight`, [3 * d, d]);
    constant(`${p}.attention.query_key_value.bias`, 3 * d, 0);
    normal(`${p}.attention.dense.weight`, [d, d]);
    constant(`${p}.attention.dense.bias`, d, 0);
    normal(`${p}.mlp.dense_h_to_4h.weight`, [m, d]);
    constant(`${p}.mlp.dense_h_to_4h.bias`, m, 0);
    normal(`${p}.mlp.dense_4h_to_h.weight`, [d, m]);
    constant(`${p}.mlp.dense_4h_to_h.bias`, d, 0);
  }
  constant('gpt_neox.final_layer_norm.weight', d, 1);
  constant('gpt_neox.final_layer_norm.bias', d, 0);
  if (!config.tieWordEmbeddings) normal('embed_out.weight', [V, d]);
  return sd;
}
