/**
 * `resample`: prompt b gets the component's clean output from prompt π(b), position by
 * position, where π is a seeded uniformly random derangement of the batch (no prompt keeps its
 * own output). Reference distribution: the component's clean outputs on the other prompts of
 * the task (resample ablation, Chan et al. 2022, "Causal scrubbing"). One derangement per sweep
 * seed, shared by all components, so every component is ablated with the same donor prompts.
 */
import { OptionError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import type { Ablation } from '../registry.js';

/**
 * A uniformly random derangement of 0..n-1 (π(i) ≠ i), by rejection: shuffle until no fixed
 * point (about e ≈ 2.7 shuffles on average).
 */
export function seededDerangement(n: number, seed: number): number[] {
  if (n < 2) throw new OptionError('--ablation', `resample needs at least 2 prompts (got ${n}): a prompt cannot borrow from itself`);
  const rng = new Rng(seed);
  for (;;) {
    const perm = rng.shuffle(Array.from({ length: n }, (_, i) => i));
    if (perm.every((p, i) => p !== i)) return perm;
  }
}

export const resampleAblation: Ablation = {
  name: 'resample',
  summary: 'replace the output with the clean output of another prompt (seeded derangement)',
  reference: 'the clean outputs on the other prompts of the batch: prompt b takes prompt π(b)\'s, π a seeded derangement',
  replacement: (clean, { tf, seed }) => {
    const donors = seededDerangement(clean.shape[0], seed);
    return tf.tidy(() => tf.gather(clean, tf.tensor1d(donors, 'int32'), 0)); // [b, p, d]
  },
};
