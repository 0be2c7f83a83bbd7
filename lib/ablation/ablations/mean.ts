/**
 * `mean`: the component's output is replaced, at every prompt and position, by its mean clean
 * output over all prompts of the batch and all positions (reference distribution: the point mass
 * at that mean; "mean ablation", Wang et al. 2022, "Interpretability in the wild").
 */
import type { Ablation } from '../registry.js';

export const meanAblation: Ablation = {
  name: 'mean',
  summary: 'replace the output with its mean over prompts and positions',
  reference: 'the point mass at the clean output\'s mean over all prompts and positions of the batch',
  replacement: (clean, { tf }) =>
    tf.tidy(() => tf.broadcastTo(tf.mean(clean, [0, 1], true), clean.shape) as typeof clean), // [1, 1, d] → [b, p, d]
};
