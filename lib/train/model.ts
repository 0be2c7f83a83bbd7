/**
 * The model as training sees it: the parameters of the GPT-NeoX port (lib/model/params.ts, math
 * layout) turned into tf.Variables, and the port's own forward pass (lib/model/neox.ts runNeoX)
 * as the differentiable function. Training therefore runs exactly the forward that loads the
 * saved checkpoints, so the logits computed here are the logits `cntlens forward` gives.
 */
import * as tf from '@tensorflow/tfjs';
import { runNeoX } from '../model/neox.js';
import { mapParams, namedParams, paramsFromStateDict, stateDictFromParams, disposeParams, type NeoXParams } from '../model/params.js';
import type { NeoXConfig, StateDict } from '../model/types.js';
import type { EmbeddingMode } from './config.js';
import type { TrainableParam } from './optimizer.js';

export interface ForwardOutput {
  /** [batch, pos, vocab]. */
  logits: tf.Tensor3D;
  /** Attention probabilities per layer, [batch, head, query, key] (only when asked for). */
  patterns: tf.Tensor4D[];
}

export interface TrainableModel {
  config: NeoXConfig;
  /** Every parameter (TransformerLens-style names, lib/model/params.ts namedParams order). */
  params: TrainableParam[];
  /** Forward pass on int32 tokens [batch, pos]; differentiable with respect to `params`. */
  forward(tokens: tf.Tensor2D, options?: { patterns?: boolean }): ForwardOutput;
  /** Host copy of the current parameter values, HF names and layouts. */
  stateDict(): StateDict;
  dispose(): void;
}

export type TrainableModelFactory = (config: NeoXConfig, initial: StateDict) => TrainableModel;

/** Weight decay applies to the matrices (W_E, W_QKV, W_O, W_in, W_out, W_U), not to biases or LayerNorm. */
export function isDecayedParam(name: string): boolean {
  return /(^|\.)W_[A-Za-z]+$/.test(name);
}

/** The embedding lookup used for training: 'auto' is 'gather' (see bench/train.bench.ts). */
export function resolveEmbedding(mode: EmbeddingMode): 'gather' | 'onehot' {
  return mode === 'onehot' ? 'onehot' : 'gather';
}

/** A TrainableModel on the port's forward pass, parameters initialised from `initial` (HF state dict). */
export function neoxTrainableModel(config: NeoXConfig, initial: StateDict, embedding: 'gather' | 'onehot'): TrainableModel {
  const constants = paramsFromStateDict(config, initial, 'initial weights');
  const params: TrainableParam[] = [];
  // Unnamed variables: TF.js gives each a unique name, so several runs can live in one process.
  const variables: NeoXParams = mapParams(constants, (name, t) => {
    const variable = tf.variable(t, true);
    params.push({ name, variable, decay: isDecayedParam(name) });
    return variable;
  });
  disposeParams(constants);
  const order = new Map(namedParams(variables).map(([name], i) => [name, i]));
  params.sort((a, b) => order.get(a.name)! - order.get(b.name)!);

  const patternHooks = Array.from({ length: config.numLayers }, (_, l) => `blocks.${l}.attn.hook_pattern`);
  return {
    config,
    params,
    forward(tokens, options = {}) {
      const { logits, cache } = runNeoX(config, variables, tokens, {
        embedding,
        capture: options.patterns ? patternHooks : [],
      });
      const patterns = options.patterns ? patternHooks.map((h) => cache.get(h) as tf.Tensor4D) : [];
      return { logits: logits as tf.Tensor3D, patterns };
    },
    stateDict: () => stateDictFromParams(config, variables),
    dispose: () => disposeParams(variables),
  };
}

/** The factory training uses, with the embedding mode resolved for the backend. */
export function createTrainableModelFactory(mode: EmbeddingMode): { factory: TrainableModelFactory; embedding: 'gather' | 'onehot' } {
  const embedding = resolveEmbedding(mode);
  return { factory: (config, initial) => neoxTrainableModel(config, initial, embedding), embedding };
}
