/**
 * Percentile bootstrap intervals of means over prompts (Efron & Tibshirani 1993, "An
 * Introduction to the Bootstrap", ch. 13). The sweep keeps every edge's per-prompt values, so
 * intervals cost no forward passes: each resample draws B prompts with replacement (one draw
 * shared by all edges, so intervals of different edges come from the same resamples), the
 * statistic is the mean over the drawn prompts, and the interval is the (α/2, 1−α/2)
 * percentiles of the resampled means, by linear interpolation between order statistics
 * (numpy's default `percentile` method).
 */
import { Rng } from '../util/rng.js';

export interface BootstrapOptions {
  /** Number of resamples (default 1000); 0 = no bootstrap (intervals collapse to the mean). */
  resamples?: number;
  /** Coverage (default 0.95). */
  level?: number;
  /** Seed of the prompt draws (default 0). */
  seed?: number;
}

export const BOOTSTRAP_DEFAULTS = { resamples: 1000, level: 0.95, seed: 0 } as const;

/** How often each of `n` prompts is drawn in each of `resamples` resamples: [resample][prompt]. */
export function bootstrapCounts(n: number, resamples: number, seed: number): Uint16Array[] {
  const rng = new Rng(seed);
  const counts: Uint16Array[] = [];
  for (let r = 0; r < resamples; r++) {
    const c = new Uint16Array(n);
    for (let i = 0; i < n; i++) c[rng.int(0, n)]++;
    counts.push(c);
  }
  return counts;
}

/** The q-quantile (0 ≤ q ≤ 1) of sorted values, linearly interpolated. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/**
 * Intervals for many statistics at once: `samples[k]` holds statistic k's per-prompt values
 * (all of one length n). Returns low and high bounds per statistic.
 */
export function bootstrapIntervals(samples: ArrayLike<number>[], options: BootstrapOptions = {}): { low: number[]; high: number[] } {
  const resamples = options.resamples ?? BOOTSTRAP_DEFAULTS.resamples;
  const level = options.level ?? BOOTSTRAP_DEFAULTS.level;
  const seed = options.seed ?? BOOTSTRAP_DEFAULTS.seed;
  if (!Number.isInteger(resamples) || resamples < 0) throw new RangeError(`bootstrap: resamples must be a non-negative integer, got ${resamples}`);
  if (!(level > 0 && level < 1)) throw new RangeError(`bootstrap: level must be in (0, 1), got ${level}`);
  const low: number[] = [];
  const high: number[] = [];
  if (samples.length === 0) return { low, high };
  const n = samples[0].length;
  if (resamples === 0) {
    // No bootstrap: the "interval" is the point estimate itself.
    for (const values of samples) {
      let total = 0;
      for (let i = 0; i < values.length; i++) total += values[i];
      low.push(total / values.length);
      high.push(total / values.length);
    }
    return { low, high };
  }
  const counts = bootstrapCounts(n, resamples, seed);
  const means = new Float64Array(resamples);
  const alpha = 1 - level;
  for (const values of samples) {
    if (values.length !== n) throw new RangeError(`bootstrap: statistics have different numbers of prompts (${values.length} vs ${n})`);
    for (let r = 0; r < resamples; r++) {
      const c = counts[r];
      let total = 0;
      for (let i = 0; i < n; i++) if (c[i] !== 0) total += c[i] * values[i];
      means[r] = total / n;
    }
    means.sort();
    low.push(quantileSorted(means, alpha / 2));
    high.push(quantileSorted(means, 1 - alpha / 2));
  }
  return { low, high };
}

/**
 * The influence matrix of one prompt resample: counts[b] = how often prompt b is drawn (they sum
 * to the prompt count); entry i→j = mean of edges[i][j] over the drawn prompts, 0 where there is
 * no edge (null).
 */
export function resampledMatrix(edges: readonly (readonly (readonly number[] | null)[])[], counts: ArrayLike<number>): number[][] {
  const B = counts.length;
  return edges.map((row) => row.map((values) => {
    if (values === null) return 0;
    // Summed in prompt order, as the sweep's mean: the identity resample gives its value exactly.
    let total = 0;
    for (let b = 0; b < B; b++) if (counts[b] !== 0) total += counts[b] * values[b];
    return total / B;
  }));
}
