/**
 * Do roles reconfigure at the learning junctures? The largest drops in role-ranking stability are
 * compared with the phase boundaries: their mean distance (in checkpoints) to the nearest boundary
 * against the same distance for random boundaries that keep the number of phases and their
 * minimum size (a permutation test over boundary positions).
 */
import { Rng } from '../util/rng.js';

export interface JunctureTest {
  /** Transitions (index of the later checkpoint) with the largest instability, largest first. */
  drops: number[];
  /** Mean distance in checkpoints from each drop to its nearest boundary. */
  distance: number;
  /** Mean of that distance over the random boundary sets, and the share at or below the observed one. */
  nullMean: number;
  p: number;
  /**
   * The smallest p the test can give here: the one for drops exactly on the boundaries,
   * (1 + #{random sets at distance 0}) / (1 + draws). With few admissible positions it can exceed
   * the level, and then the test cannot support the claim whatever the data.
   */
  minimumP: number;
  draws: number;
}

/**
 * The `count` transitions with the largest instability (1 − τ), ties to the earlier one.
 * instability[t] compares checkpoints t − 1 and t; null entries are skipped.
 */
export function largestDrops(instability: readonly (number | null)[], count: number): number[] {
  return instability
    .map((v, t) => ({ v, t }))
    .filter((e): e is { v: number; t: number } => e.v !== null && Number.isFinite(e.v))
    .sort((a, b) => b.v - a.v || a.t - b.t)
    .slice(0, count)
    .map((e) => e.t);
}

/** Mean over drops of |drop − nearest boundary| (both checkpoint indices). */
export function meanDistance(drops: readonly number[], boundaries: readonly number[]): number {
  let total = 0;
  for (const d of drops) total += Math.min(...boundaries.map((b) => Math.abs(d - b)));
  return total / drops.length;
}

/**
 * Uniformly random boundary positions: `count` boundaries in the checkpoints [from, n) with every
 * phase (the first starting at `from`) at least `minSize` long — by rejection, which is uniform
 * over the admissible sets. Null when no admissible set exists.
 */
export function randomBoundaries(rng: Rng, count: number, from: number, n: number, minSize: number): number[] | null {
  const lo = from + minSize;
  const hi = n - minSize;
  if (count === 0) return [];
  if (hi < lo || (count - 1) * minSize > hi - lo) return null;
  for (let attempt = 0; attempt < 100000; attempt++) {
    const picked = new Set<number>();
    while (picked.size < count) picked.add(rng.int(lo, hi + 1));
    const sorted = [...picked].sort((a, b) => a - b);
    if (sorted.every((b, i) => i === 0 || b - sorted[i - 1] >= minSize)) return sorted;
  }
  return null;
}

/**
 * The permutation test. instability: per transition (see largestDrops); boundaries: the phase
 * boundaries (checkpoint indices); the number of drops examined is the number of boundaries.
 */
export function junctureTest(
  instability: readonly (number | null)[],
  boundaries: readonly number[],
  options: { from: number; minSize: number; draws?: number; seed?: number },
): JunctureTest | null {
  if (boundaries.length === 0) return null;
  const drops = largestDrops(instability, boundaries.length);
  if (drops.length === 0) return null;
  const distance = meanDistance(drops, boundaries);
  const draws = options.draws ?? 10000;
  const rng = new Rng(options.seed ?? 0);
  let atOrBelow = 0;
  let atZero = 0;
  let sum = 0;
  let made = 0;
  for (let k = 0; k < draws; k++) {
    const random = randomBoundaries(rng, boundaries.length, options.from, instability.length, options.minSize);
    if (!random) return null;
    const d = meanDistance(drops, random);
    sum += d;
    made++;
    if (d <= distance) atOrBelow++;
    // drops exactly on the observed boundaries would be at distance 0 from this set only if it is that set
    if (meanDistance(boundaries, random) === 0) atZero++;
  }
  return { drops, distance, nullMean: sum / made, p: (1 + atOrBelow) / (1 + made), minimumP: (1 + atZero) / (1 + made), draws: made };
}
