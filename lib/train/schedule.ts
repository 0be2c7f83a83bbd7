/**
 * When to save checkpoints and what learning rate each step uses.
 *
 * Checkpoints follow Pythia's layout (Biderman et al., "Pythia: A Suite for Analyzing Large
 * Language Models Across Training and Scaling", 2023): step 0, log-spaced steps 1, 2, 4, … up to
 * the first evenly spaced step, then evenly spaced steps to the end (Pythia: 1, 2, …, 512, then
 * every 1000 to 143000). Early training changes fastest, so it gets the densest sampling.
 *
 * Learning rate: linear warmup from 0, then cosine decay to `minLrRatio` × peak at the last step,
 * the GPT-NeoX / Pythia recipe (Pythia decays to 10 % of the peak).
 */

export interface CheckpointScheduleOptions {
  /** Last training step (the final checkpoint). */
  totalSteps: number;
  /** Evenly spaced checkpoints: steps round(k · totalSteps / evenly) for k = 1 … evenly. */
  evenly: number;
  /** Add the powers of two below the first evenly spaced step (default true). */
  logSpaced?: boolean;
}

/** The sorted, distinct checkpoint steps (always including 0 and totalSteps). */
export function checkpointSteps(options: CheckpointScheduleOptions): number[] {
  const { totalSteps, evenly, logSpaced = true } = options;
  if (!Number.isInteger(totalSteps) || totalSteps < 0) throw new Error(`checkpointSteps: totalSteps must be a non-negative integer, got ${totalSteps}`);
  if (!Number.isInteger(evenly) || evenly < 1) throw new Error(`checkpointSteps: evenly must be a positive integer, got ${evenly}`);
  const steps = new Set<number>([0, totalSteps]);
  const firstEven = Math.max(1, Math.round(totalSteps / evenly));
  for (let k = 1; k <= evenly; k++) steps.add(Math.round((k * totalSteps) / evenly));
  if (logSpaced) for (let p = 1; p < firstEven && p <= totalSteps; p *= 2) steps.add(p);
  return [...steps].sort((a, b) => a - b);
}

export interface LrScheduleOptions {
  /** Peak learning rate, reached at the end of warmup. */
  lr: number;
  warmupSteps: number;
  totalSteps: number;
  /** Floor of the cosine decay, as a fraction of the peak. */
  minLrRatio: number;
}

/**
 * Learning rate of update `step` (1-based: the update that turns checkpoint step-1 into step):
 * lr · step / warmup during warmup, then lr · (r + (1 − r) · ½(1 + cos(π · progress))) with
 * progress running from 0 after warmup to 1 at the last step.
 */
export function learningRate(step: number, o: LrScheduleOptions): number {
  if (o.warmupSteps > 0 && step <= o.warmupSteps) return (o.lr * step) / o.warmupSteps;
  const decaySteps = o.totalSteps - o.warmupSteps;
  if (decaySteps <= 0) return o.lr;
  const progress = Math.min(1, Math.max(0, (step - o.warmupSteps) / decaySteps));
  return o.lr * (o.minLrRatio + (1 - o.minLrRatio) * 0.5 * (1 + Math.cos(Math.PI * progress)));
}
