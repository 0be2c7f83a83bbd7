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
import { Rng } from '../util/rng.js';
import type { HostTensor, NeoXConfig, StateDict } from '../model/types.js';

/** Standard deviations of the two weight families. */
export function initStds(config: NeoXConfig): { small: number; wang: number } {
  return {
    small: Math.sqrt(2 / (5 * config.hiddenSize)),
    wang: 2 / (config.numLayers * Math.sqrt(config.hiddenSize)),
  };
}

/** The HF parameter names of a GPT-NeoX config, in state_dict() order, with their shapes. */
export function neoxParameterShapes(config: NeoXConfig): Array<[string, number[]]> {
  const d = config.hiddenSize;
  const inter = config.intermediateSize;
  const out: Array<[string, number[]]> = [['gpt_neox.embed_in.weight', [config.vocabSize, d]]];
  for (let l = 0; l < config.numLayers; l++) {
    const p = `gpt_neox.layers.${l}`;
    out.push(
      [`${p}.input_layernorm.weight`, [d]],
      [`${p}.input_layernorm.bias`, [d]],
      [`${p}.post_attention_layernorm.weight`, [d]],
      [`${p}.post_attention_layernorm.bias`, [d]],
      [`${p}.attention.query_key_value.weight`, [3 * d, d]],
      [`${p}.attention.query_key_value.bias`, [3 * d]],
      [`${p}.attention.dense.weight`, [d, d]],
      [`${p}.attention.dense.bias`, [d]],
      [`${p}.mlp.dense_h_to_4h.weight`, [inter, d]],
      [`${p}.mlp.dense_h_to_4h.bias`, [inter]],
      [`${p}.mlp.dense_4h_to_h.weight`, [d, inter]],
      [`${p}.mlp.dense_4h_to_h.bias`, [d]],
    );
  }
  out.push(['gpt_neox.final_layer_norm.weight', [d]], ['gpt_neox.final_layer_norm.bias', [d]], ['embed_out.weight', [config.vocabSize, d]]);
  return out;
}

/** Draw the initial state dict from `seed`. */
export function initStateDict(config: NeoXConfig, seed: number): StateDict {
  if (config.tieWordEmbeddings) throw new Error('initStateDict: tied word embeddings are not supported for training (set tie_word_embeddings false)');
  const rng = new Rng(seed);
  const { small, wang } = initStds(config);
  const sd: StateDict = new Map();
  for (const [name, shape] of neoxParameterShapes(config)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    if (name.endsWith('layernorm.weight')) {
      data.fill(1);
    } else if (name.endsWith('.weight')) {
      const std = name.endsWith('attention.dense.weight') || name.endsWith('dense_4h_to_h.weight') ? wang : small;
      for (let i = 0; i < n; i++) data[i] = std * rng.normal();
    } // biases stay 0
    sd.set(name, { shape, data } satisfies HostTensor);
  }
  return sd;
}
