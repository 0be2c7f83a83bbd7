/**
 * Initial weights of a GPT-NeoX model, drawn on the host from the shared Rng so that step 0 is
 * identical on every backend, and returned as a Hugging Face state dict (names, layouts and order
 * of `GPTNeoXForCausalLM.state_dict()`, see test/fixtures/README.md).
 *
 * The scheme is GPT-NeoX's, as in Pythia's configs (`init_method: small_init`,
 * `output_layer_init_method: wang_init`): weights feeding the residual stream's readers are
 * N(0, 2 / (5 d)) ("small init", Nguyen & Salazar, "Transformers without Tears", 2019); the two
 * projections that write into the residual stream (attention.dense, mlp.dense_4h_to_h) are
 * N(0, (2 / (L √d))²) (Wang's init from mesh-transformer-jax); biases are 0, LayerNorm gains 1.
 */
import { initStateDict as initModelStateDict, isLayerNorm } from '../model/init.js';
import type { NeoXConfig, StateDict } from '../model/types.js';

/** Standard deviations of the two weight families. */
export function initStds(config: NeoXConfig): { small: number; wang: number } {
  return {
    small: Math.sqrt(2 / (5 * config.hiddenSize)),
    wang: 2 / (config.numLayers * Math.sqrt(config.hiddenSize)),
  };
}

/** Draw the initial state dict from `seed`. */
export function initStateDict(config: NeoXConfig, seed: number): StateDict {
  if (config.tieWordEmbeddings) throw new Error('initStateDict: tied word embeddings are not supported for training (set tie_word_embeddings false)');
  const { small, wang } = initStds(config);
  return initModelStateDict(config, {
    seed,
    rule: (name) => {
      // LayerNorm gains 1 (final_layer_norm included: its name is spelt layer_norm), biases 0.
      if (isLayerNorm(name)) return { mean: name.endsWith('.weight') ? 1 : 0, std: 0 };
      if (!name.endsWith('.weight')) return { mean: 0, std: 0 };
      return { mean: 0, std: name.endsWith('attention.dense.weight') || name.endsWith('dense_4h_to_h.weight') ? wang : small };
    },
  });
}
