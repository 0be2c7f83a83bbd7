/**
 * `noise`: the component's output is replaced with Gaussian noise of its own scale:
 * σ · ε, ε iid N(0, 1) per prompt, position and feature, σ the standard deviation of all entries
 * of the clean output over the batch (prompts × positions × d_model, population std). Reference
 * distribution: N(0, σ² I). Seeded per component (its nodeSeed), so a rerun draws the same noise.
 */
import { Rng } from '../../util/rng.js';
import type { Ablation } from '../registry.js';

/** `count` standard normal draws from `seed` (float32). */
export function gaussianNoise(count: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = rng.normal();
  return out;
}

export const noiseAblation: Ablation = {
  name: 'noise',
  summary: 'replace the output with Gaussian noise scaled to its std (seeded)',
  reference: 'N(0, σ²) per entry, σ = the population std of all entries of the clean output over the batch',
  replacement: (clean, { tf, nodeSeed }) => {
    const eps = gaussianNoise(clean.size, nodeSeed);
    return tf.tidy(() => {
      const { variance } = tf.moments(clean); // over all entries
      return tf.mul(tf.tensor(eps, clean.shape), tf.sqrt(variance)) as typeof clean; // [b, p, d]
    });
  },
};
