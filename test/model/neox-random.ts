/**
 * Small random GPT-NeoX models for tests that have no golden (sequential residual, tied
 * embeddings, gradients, hooks): HF-named state dicts with every weight and bias non-trivial,
 * drawn from the seeded Rng, in the spirit of the fixtures' weight recipe.
 */
import { parseConfig } from '../../lib/model/config.js';
import { fixtureScales, initStateDict } from '../../lib/model/init.js';
import type { NeoXConfig, StateDict } from '../../lib/model/types.js';
import { Rng } from '../../lib/util/rng.js';

export function tinyConfig(overrides: Record<string, unknown> = {}): NeoXConfig {
  return parseConfig({
    vocab_size: 23,
    hidden_size: 16,
    num_hidden_layers: 2,
    num_attention_heads: 2,
    intermediate_size: 32,
    rotary_pct: 0.5,
    max_position_embeddings: 16,
    ...overrides,
  });
}

/** Random weights at the fixtures' scales (lib/model/init.ts fixtureScales). */
export function randomStateDict(config: NeoXConfig, seed: number): StateDict {
  return initStateDict(config, { seed, rule: fixtureScales });
}

export function randomTokens(config: NeoXConfig, batch: number, seq: number, seed: number): number[][] {
  const rng = new Rng(seed);
  return Array.from({ length: batch }, () => Array.from({ length: seq }, () => rng.int(0, config.vocabSize)));
}

/** Host LayerNorm of each row of x [n, d] (float64 arithmetic), for expected values. */
export function hostLayerNorm(x: ArrayLike<number>, d: number, w: ArrayLike<number>, b: ArrayLike<number>, eps: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let r = 0; r < x.length / d; r++) {
    let mean = 0;
    for (let i = 0; i < d; i++) mean += x[r * d + i];
    mean /= d;
    let v = 0;
    for (let i = 0; i < d; i++) v += (x[r * d + i] - mean) ** 2;
    v /= d;
    const inv = 1 / Math.sqrt(v + eps);
    for (let i = 0; i < d; i++) out[r * d + i] = (x[r * d + i] - mean) * inv * w[i] + b[i];
  }
  return out;
}
