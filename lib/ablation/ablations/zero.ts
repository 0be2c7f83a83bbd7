/**
 * `zero`: the component's output is replaced with 0 (reference distribution: the point mass at
 * the origin). For a head this equals zeroing its slice of z before W_O, the dense bias staying
 * (the convention of HF's head_mask and of the fixtures); for an MLP the whole output, bias
 * included, is removed.
 */
import type { Ablation } from '../registry.js';

export const zeroAblation: Ablation = {
  name: 'zero',
  summary: 'replace the output with zeros',
  reference: 'the point mass at 0: the output (a head\'s z_h · W_O slice; an MLP\'s output with bias) is removed',
  replacement: (clean, { tf }) => tf.zerosLike(clean),
};
