/**
 * Fresh GPT-NeoX weights, drawn on the host from the seeded Rng in Hugging Face state_dict()
 * order (the shape table of checkpoint.ts), so a seed always gives the same model on every backend
 * (the values differ from PyTorch's generator). Which distribution each tensor gets is a rule:
 *
 * - the default, `hfInit(std)`, is Hugging Face's own (GPTNeoXPreTrainedModel._init_weights,
 *   transformers v4.35): Linear and Embedding weights ~ N(0, std²) with std = initializer_range
 *   (0.02), Linear biases 0, LayerNorm weight 1 and bias 0;
 * - `fixtureScales` draws every tensor, at the scales of the reference fixtures
 *   (test/fixtures/README.md), so that no component is trivially silent (tests, benchmarks);
 * - training uses GPT-NeoX's small/Wang init (lib/train/init.ts).
 */
import { Rng } from '../util/rng.js';
import { expectedShapes } from './checkpoint.js';
import type { NeoXConfig, StateDict } from './types.js';

/** The distribution of one tensor's entries: N(mean, std²); std 0 gives the constant `mean`. */
export interface InitScale {
  mean: number;
  std: number;
}

/** Distribution of the tensor `name` (an HF state-dict name). */
export type InitRule = (name: string, config: NeoXConfig) => InitScale;

export interface InitOptions {
  seed?: number;
  /** Standard deviation of weights and embeddings for the default rule (HF initializer_range, default 0.02). */
  std?: number;
  /** Per-tensor distribution; default hfInit(std). */
  rule?: InitRule;
}

export const isLayerNorm = (name: string): boolean => /(layernorm|layer_norm)\.(weight|bias)$/.test(name);

/** Hugging Face's initialisation: weights N(0, std²), biases 0, LayerNorm gains 1. */
export function hfInit(std = 0.02): InitRule {
  return (name) => {
    if (isLayerNorm(name)) return { mean: name.endsWith('.weight') ? 1 : 0, std: 0 };
    return name.endsWith('.weight') ? { mean: 0, std } : { mean: 0, std: 0 };
  };
}

/**
 * The fixtures' scales: embed_in N(0,1); LayerNorm weights 1+0.2·N(0,1), biases 0.2·N(0,1);
 * query_key_value N(0,(1.5/√d)²); dense and dense_h_to_4h N(0,1/d); dense_4h_to_h N(0,1/d_mlp);
 * linear biases 0.1·N(0,1); embed_out N(0,1/d).
 */
export const fixtureScales: InitRule = (name, config) => {
  const d = config.hiddenSize;
  if (isLayerNorm(name)) return name.endsWith('.weight') ? { mean: 1, std: 0.2 } : { mean: 0, std: 0.2 };
  if (name === 'gpt_neox.embed_in.weight') return { mean: 0, std: 1 };
  if (!name.endsWith('.weight')) return { mean: 0, std: 0.1 };
  if (name.endsWith('query_key_value.weight')) return { mean: 0, std: 1.5 / Math.sqrt(d) };
  if (name.endsWith('dense_4h_to_h.weight')) return { mean: 0, std: 1 / Math.sqrt(config.intermediateSize) };
  return { mean: 0, std: 1 / Math.sqrt(d) }; // attention.dense, dense_h_to_4h, embed_out
};

export function initStateDict(config: NeoXConfig, options: InitOptions = {}): StateDict {
  const rng = new Rng(options.seed ?? 0);
  const rule = options.rule ?? hfInit(options.std);
  const sd: StateDict = new Map();
  for (const [name, { shape }] of expectedShapes(config)) {
    if (name === 'embed_out.weight' && config.tieWordEmbeddings) continue;
    const { mean, std } = rule(name, config);
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (std === 0) data.fill(mean);
    else if (mean === 0) for (let i = 0; i < data.length; i++) data[i] = std * rng.normal();
    else for (let i = 0; i < data.length; i++) data[i] = mean + std * rng.normal();
    sd.set(name, { shape, data });
  }
  return sd;
}
