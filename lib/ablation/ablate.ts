/**
 * One forward pass with chosen components ablated together, through the same patches as the
 * sweep: for notebooks ("what do the logits look like without L1H0 and L2MLP?") and for tests
 * against the fixtures' ablated logits.
 */
import * as tf from '@tensorflow/tfjs';
import type { RunOptions, RunResult } from '../model/types.js';
import { OptionError } from '../util/errors.js';
import { parseNodeName, type ComponentNode } from './nodes.js';
import { ablationHook, ablationPatches } from './patches.js';
import type { InfluenceModel } from './plan.js';
import { getAblation, nodeSeed, type Ablation } from './registry.js';
import './ablations/index.js';

export interface AblatedRunOptions {
  /** Ablation type (default 'zero'). */
  ablation?: string | Ablation;
  /** Seed for random ablations (default 0). */
  seed?: number;
  logits?: RunOptions['logits'];
  capture?: RunOptions['capture'];
}

/**
 * Run `prompts` with every component in `nodes` (names like `L1H0`, `L0MLP`) ablated at once;
 * the replacements are computed from one clean pass over the same prompts.
 */
export function runWithAblations(model: InfluenceModel, prompts: number[][], nodes: string[], options: AblatedRunOptions = {}): RunResult {
  const { config } = model;
  const ablation = typeof options.ablation === 'object' ? options.ablation : getAblation(options.ablation ?? 'zero');
  const seed = options.seed ?? 0;
  const targets: ComponentNode[] = nodes.map((name) => parseNodeName(name, config.numLayers, config.numHeads, 'nodes'));
  if (targets.some((n) => n.kind === 'logits')) throw new OptionError('nodes', 'LOGITS cannot be ablated');
  const B = prompts.length;
  const T = prompts[0].length;
  const d = config.hiddenSize;
  const hooks = [...new Set(targets.map(ablationHook))];
  const { cache: clean } = model.run(prompts, { capture: hooks, logits: 'none' });
  let built: ReturnType<typeof ablationPatches>;
  try {
    built = ablationPatches({
      config, batch: B, seqLen: T, slots: [targets],
      replacement: (node) => {
        const value = clean.get(ablationHook(node))!;
        const activation = node.kind === 'head'
          ? tf.tidy(() => tf.slice(value, [0, 0, node.head!, 0], [B, T, 1, d]).reshape([B, T, d]) as tf.Tensor3D)
          : (value as tf.Tensor3D);
        try {
          return ablation.replacement(activation, { node, seed, nodeSeed: nodeSeed(seed, node.name), tf });
        } finally {
          if (activation !== value) activation.dispose();
        }
      },
    });
  } finally {
    tf.dispose([...clean.values()]);
  }
  try {
    return model.run(prompts, { patches: built.patches, logits: options.logits ?? 'all', capture: options.capture });
  } finally {
    tf.dispose(built.owned);
  }
}
