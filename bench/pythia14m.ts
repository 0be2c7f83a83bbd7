/**
 * The model the benchmarks measure: Pythia-14M's shape (hidden 128, 6 layers, 4 heads, MLP 512,
 * vocab 50304, rotary_pct 0.25, parallel residual) with seeded random weights.
 */
import { parseConfig } from '../lib/model/config.js';
import { fixtureScales, initStateDict, type InitRule } from '../lib/model/init.js';
import { NeoXModel } from '../lib/model/neox.js';

export const PYTHIA_14M_CONFIG = {
  architectures: ['GPTNeoXForCausalLM'],
  model_type: 'gpt_neox',
  vocab_size: 50304,
  hidden_size: 128,
  num_hidden_layers: 6,
  num_attention_heads: 4,
  intermediate_size: 512,
  rotary_pct: 0.25,
  rotary_emb_base: 10000,
  max_position_embeddings: 2048,
  layer_norm_eps: 1e-5,
  use_parallel_residual: true,
  hidden_act: 'gelu',
  tie_word_embeddings: false,
};

/** A random Pythia-14M-shaped model (default: the fixtures' scales, so every component matters). */
export function randomPythia14m(seed: number, rule: InitRule = fixtureScales): NeoXModel {
  const config = parseConfig(PYTHIA_14M_CONFIG, 'Pythia-14M shape (random weights)');
  return NeoXModel.fromStateDict(config, initStateDict(config, { seed, rule }));
}
