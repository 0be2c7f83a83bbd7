/**
 * How much to trust each boundary: the fraction of perturbed analyses that find it again, within
 * ± tolerance checkpoints (default 2).
 *
 * - Replicate series, when the input carries them (the experiment does): every metric recomputed
 *   on bootstrap resamples of the prompts (resample r the same draw at every checkpoint), and the
 *   whole detection rerun on each replicate series. It measures how much the boundaries owe to
 *   the particular prompts, through everything the metrics do with them.
 * - Prompt bootstrap (Efron 1979), when only per-prompt values exist: the prompts are resampled with
 *   replacement (the same draw at every checkpoint, since the prompts are the same), each metric
 *   that has per-prompt values is moved by the change of its per-prompt mean, and the whole
 *   detection is rerun. It measures how much the boundaries owe to the particular prompts.
 * - Penalty sweep, otherwise: the detection is rerun with penalties log-spaced from ½β to 2β. It
 *   measures how far the boundary is from the edge of detectability, not sampling noise.
 */
import { Rng } from '../util/rng.js';
import { detectBoundariesForPenalties, detectChangePoints } from './changepoints.js';
import type { ChangePointOptions } from './types.js';

export const DEFAULT_TOLERANCE = 2;
export const DEFAULT_SWEEP = { low: 0.5, high: 2, steps: 21 } as const;
export const DEFAULT_BOOTSTRAP = { replicates: 200, seed: 1 } as const;

/** Fraction of runs (lists of boundaries) with a boundary within ± tolerance of each boundary. */
export function persistence(boundaries: readonly number[], runs: readonly (readonly number[])[], tolerance = DEFAULT_TOLERANCE): number[] {
  return boundaries.map((b) => {
    if (runs.length === 0) return NaN;
    const hits = runs.filter((found) => found.some((f) => Math.abs(f - b) <= tolerance)).length;
    return hits / runs.length;
  });
}

export interface SweepOptions {
  /** Penalty range as multiples of β (default ½ to 2) and number of log-spaced values (default 21). */
  low?: number;
  high?: number;
  steps?: number;
  tolerance?: number;
}

/**
 * Confidence of `boundaries` (row indices found at penalty β = options.penalty) under a penalty
 * sweep. series: [n][d] raw values.
 */
export function penaltySweepConfidence(
  series: number[][],
  boundaries: readonly number[],
  options: ChangePointOptions & { penalty: number },
  sweep: SweepOptions = {},
): { confidence: number[]; penalties: number[] } {
  const low = sweep.low ?? DEFAULT_SWEEP.low;
  const high = sweep.high ?? DEFAULT_SWEEP.high;
  const steps = sweep.steps ?? DEFAULT_SWEEP.steps;
  if (!(low > 0 && high >= low) || !Number.isInteger(steps) || steps < 1) {
    throw new Error(`penaltySweepConfidence: need 0 < low <= high and an integer steps >= 1, got ${low}, ${high}, ${steps}`);
  }
  const penalties = Array.from({ length: steps }, (_, i) => options.penalty * low * (high / low) ** (steps === 1 ? 0 : i / (steps - 1)));
  // detectChangePoints at each penalty, with the searches over equal costs shared (the same boundaries).
  const runs = detectBoundariesForPenalties(series, options, penalties);
  return { confidence: persistence(boundaries, runs, sweep.tolerance), penalties };
}

export interface BootstrapOptions {
  replicates?: number;
  seed?: number;
  tolerance?: number;
}

/**
 * Prompt bootstrap. series: [n][d] raw values; perPrompt[t][j] = the per-prompt values of column j
 * at checkpoint t (undefined when that column has none); every defined vector has the same prompt
 * count P. Replicate value = original + (mean over the resampled prompts − mean over all prompts),
 * which keeps each metric's level even when it is not itself a mean over prompts (e.g. a max over
 * heads). Returns the confidence of each boundary and the number of replicates.
 */
export function bootstrapConfidence(
  series: number[][],
  perPrompt: readonly (readonly (readonly number[] | undefined)[])[],
  boundaries: readonly number[],
  options: ChangePointOptions & { penalty: number },
  bootstrap: BootstrapOptions = {},
): { confidence: number[]; replicates: number; prompts: number } {
  const replicates = bootstrap.replicates ?? DEFAULT_BOOTSTRAP.replicates;
  const rng = new Rng(bootstrap.seed ?? DEFAULT_BOOTSTRAP.seed);
  const prompts = promptCount(perPrompt);
  const fullMeans = perPrompt.map((row) => row.map((values) => (values ? values.reduce((a, b) => a + b, 0) / values.length : 0)));
  const runs: number[][] = [];
  const draw = new Int32Array(prompts);
  for (let r = 0; r < replicates; r++) {
    for (let p = 0; p < prompts; p++) draw[p] = rng.int(0, prompts);
    const replicate = series.map((row, t) =>
      row.map((v, j) => {
        const values = perPrompt[t][j];
        if (!values) return v;
        let sum = 0;
        for (let p = 0; p < prompts; p++) sum += values[draw[p]];
        return v + sum / prompts - fullMeans[t][j];
      }),
    );
    runs.push(detectChangePoints(replicate, options).boundaries);
  }
  return { confidence: persistence(boundaries, runs, bootstrap.tolerance), replicates, prompts };
}

/** The common length of the per-prompt (or replicate) vectors; throws when they disagree or none exist. */
export function promptCount(perPrompt: readonly (readonly (readonly number[] | undefined)[])[]): number {
  let count = -1;
  for (const row of perPrompt) {
    for (const values of row) {
      if (!values) continue;
      if (count < 0) count = values.length;
      else if (values.length !== count) throw new Error(`per-prompt values: ${values.length} prompts here, ${count} elsewhere`);
    }
  }
  if (count < 1) throw new Error('per-prompt values: none given');
  return count;
}

/**
 * Confidence from replicate series. series: [n][d] raw values; replicates[t][j] = the R replicate
 * values of column j at checkpoint t (undefined when that column has none: it keeps its value in
 * every replicate); replicate r of every column at every checkpoint comes from the same resample.
 */
export function replicateConfidence(
  series: number[][],
  replicates: readonly (readonly (readonly number[] | undefined)[])[],
  boundaries: readonly number[],
  options: ChangePointOptions,
  tolerance = DEFAULT_TOLERANCE,
): { confidence: number[]; replicates: number } {
  const count = promptCount(replicates);
  const runs: number[][] = [];
  for (let r = 0; r < count; r++) {
    const replicate = series.map((row, t) => row.map((v, j) => replicates[t][j]?.[r] ?? v));
    runs.push(detectChangePoints(replicate, options).boundaries);
  }
  return { confidence: persistence(boundaries, runs, tolerance), replicates: count };
}
