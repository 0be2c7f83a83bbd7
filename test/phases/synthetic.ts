/**
 * Synthetic metric series for the phases tests: Gaussian noise with planted mean shifts, on
 * metrics of very different scales, over a linear or the Pythia checkpoint grid.
 */
import type { CheckpointInput } from '../../lib/phases/types.js';
import { Rng } from '../../lib/util/rng.js';

/** Pythia's checkpoint steps: 0, 1, 2, 4 … 512, then 1000, 2000 … 143000 (154 checkpoints). */
export function pythiaSteps(): number[] {
  const steps = [0];
  for (let s = 1; s <= 512; s *= 2) steps.push(s);
  for (let s = 1000; s <= 143000; s += 1000) steps.push(s);
  return steps;
}

export function linearSteps(n: number, every = 100): number[] {
  return Array.from({ length: n }, (_, i) => i * every);
}

export interface Planted {
  /** Number of checkpoints. */
  n: number;
  /** Number of metrics. */
  d: number;
  /** Checkpoint indices where a new segment starts. */
  boundaries: number[];
  /** Shift per boundary, in noise standard deviations. */
  shift: number;
  /** How many metrics (the first ones) shift; the others are pure noise. */
  shifted: number;
  seed: number;
}

/**
 * [n][d] series: metric j = scale_j · (offset + level_j(t) + noise), scale_j log-spaced from 0.01
 * to 100, level_j rising (even j) or falling (odd j) by `shift` at every boundary.
 */
export function plantedSeries(p: Planted): number[][] {
  const rng = new Rng(p.seed);
  const scales = Array.from({ length: p.d }, (_, j) => 10 ** (p.d === 1 ? 0 : -2 + (4 * j) / (p.d - 1)));
  return Array.from({ length: p.n }, (_, t) => {
    const segment = p.boundaries.filter((b) => t >= b).length;
    return scales.map((scale, j) => {
      const level = j < p.shifted ? segment * p.shift * (j % 2 === 0 ? 1 : -1) : 0;
      return scale * (5 + level + rng.normal());
    });
  });
}

/** Stationary Gaussian noise, [n][d], metric j scaled by 10^(j mod 5 − 2). */
export function noiseSeries(n: number, d: number, seed: number): number[][] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => Array.from({ length: d }, (_, j) => 10 ** ((j % 5) - 2) * (3 + rng.normal())));
}

/** Node ids of a Pythia-14M-like component graph: 6 layers × (4 heads + MLP). */
export function componentIds(): string[] {
  const ids: string[] = [];
  for (let l = 0; l < 6; l++) {
    for (let h = 0; h < 4; h++) ids.push(`L${l}H${h}`);
    ids.push(`L${l}MLP`);
  }
  return ids;
}

/**
 * A synthetic training run with three planted phases over `steps` (boundaries at checkpoint
 * indices b1, b2), each as the label rules define it: exploration (the influence matrix
 * random-walks fast, density climbs), consolidation (the matrix drifts slower while the three
 * strongest spreaders' rows grow by 8% a checkpoint, so influence concentrates; modularity drifts
 * down), refinement (it barely moves, the metrics are flat); the graph metrics shift at both boundaries; loss_repeated drops and icl_score rises at b1 (the induction
 * bump); at b1 the gatherers are reshuffled (the matrix columns are permuted); two communities
 * exchange one node back and forth; per-prompt values exist for the behaviour metrics.
 */
export function syntheticTraining(steps: number[], b1: number, b2: number, seed: number): CheckpointInput[] {
  const rng = new Rng(seed);
  const ids = componentIds();
  const m = ids.length;
  let matrix = ids.map(() => ids.map(() => Math.abs(rng.normal())));
  const drift = (t: number): number => (t < b1 ? 0.5 : t < b2 ? 0.15 : 0.01);
  const prompts = 16;
  return steps.map((step, t) => {
    if (t > 0) {
      matrix = matrix.map((row) => row.map((v) => Math.abs(v + drift(t) * rng.normal())));
      if (t === b1) {
        // reshuffle who gathers: a fixed permutation of the target columns
        const perm = ids.map((_, j) => (j * 7 + 3) % m);
        matrix = matrix.map((row) => perm.map((j) => row[j]));
      }
      if (t >= b1 && t < b2) {
        // consolidation: the three strongest spreaders gain influence steadily
        const out = matrix.map((row) => row.reduce((a, b) => a + b, 0));
        const strongest = out.map((v, i) => [v, i]).sort((a, b) => b[0] - a[0]).slice(0, 3).map(([, i]) => i);
        matrix = matrix.map((row, i) => (strongest.includes(i) ? row.map((v) => v * 1.08) : row));
      }
    }
    const phase = t < b1 ? 0 : t < b2 ? 1 : 2;
    const nodes: Record<string, Record<string, number>> = {};
    ids.forEach((id, i) => {
      let out = 0;
      let inn = 0;
      for (let j = 0; j < m; j++) {
        if (j === i) continue;
        out += matrix[i][j];
        inn += matrix[j][i];
      }
      nodes[id] = { out_strength: out, in_strength: inn, betweenness: rng.uniform() };
    });
    const lossPrompts = Array.from({ length: prompts }, () => (phase === 0 ? 6 : 3.5) + 0.2 * rng.normal());
    const iclPrompts = Array.from({ length: prompts }, () => (phase === 0 ? 0 : 1.2) + 0.1 * rng.normal());
    const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
    const metrics = {
      // density climbs 1σ a checkpoint while exploring, modularity drifts down 0.5σ a checkpoint while consolidating
      density: 0.4 + 0.05 * phase + (phase === 0 ? 0.01 * t : 0) + 0.01 * rng.normal(),
      modularity: 0.3 - 0.03 * (phase === 2 ? 1 : 0) - (phase === 1 ? 0.005 * (t - b1) : 0) + 0.01 * rng.normal(),
      mean_path_length: 2.5 + 0.02 * rng.normal(),
      loss_repeated: mean(lossPrompts),
      icl_score: mean(iclPrompts),
      induction_score_max: (phase === 0 ? 0.1 : 0.8) + 0.05 * rng.normal(),
    };
    const x = t % 2 === 0 ? 0 : 1; // L0H0 alternates between the two communities
    const first = ids.slice(0, 15).filter((id) => id !== 'L0H0');
    const second = ids.slice(15);
    const communities = x === 0 ? [['L0H0', ...first], second] : [first, [...second, 'L0H0']];
    return { step, metrics, nodes, matrix: matrix.map((row) => row.slice()), nodeIds: ids, communities, perPrompt: { loss_repeated: lossPrompts, icl_score: iclPrompts } };
  });
}

/** The tiny model's grid: 47 checkpoints, 0 … 1600 (as `npm run experiment` saves them). */
export function tinySteps(): number[] {
  return linearSteps(47, 1600 / 46).map((s) => Math.round(s));
}

export interface PlantedTrend {
  /** Training steps of the checkpoints and the time value of each on the detector's axis. */
  steps: number[];
  x: number[];
  d: number;
  /** Slope of every metric before the first knot, in σ per checkpoint (|slope| ≤ this, random sign). */
  baseSlope: number;
  /** Knots: checkpoint index where the new regime starts, slope change in σ per checkpoint at the knot (random sign per metric), level jump in σ (random sign). */
  knots: { index: number; slopeChange: number; levelJump?: number }[];
  seed: number;
}

/**
 * [n][d] series that are piecewise linear on the axis x plus N(0, 1) noise, metric j scaled by
 * 10^(−2 + 4j/(d−1)) and offset, so scales run from 0.01 to 100. A slope "per checkpoint" is
 * measured at the place it applies: the base slope per average gap of x, a slope change per gap
 * of x at its knot (on Pythia's grid the gaps of log-step shrink along the run, so the same
 * change per unit of x would be ever smaller per checkpoint).
 */
export function plantedTrendSeries(p: PlantedTrend): number[][] {
  const rng = new Rng(p.seed);
  const n = p.x.length;
  const meanGap = (p.x[n - 1] - p.x[0]) / (n - 1);
  const scales = Array.from({ length: p.d }, (_, j) => 10 ** (p.d === 1 ? 0 : -2 + (4 * j) / (p.d - 1)));
  const sign = (): number => (rng.uniform() < 0.5 ? -1 : 1);
  const base = scales.map(() => (2 * rng.uniform() - 1) * p.baseSlope / meanGap);
  const knots = p.knots.map((k) => ({
    index: k.index,
    at: p.x[k.index],
    // the knot sits between checkpoints index − 1 and index; its local gap sets "per checkpoint"
    slope: scales.map(() => (sign() * k.slopeChange) / (p.x[k.index] - p.x[k.index - 1])),
    jump: scales.map(() => sign() * (k.levelJump ?? 0)),
  }));
  return p.x.map((xt, t) =>
    scales.map((scale, j) => {
      let level = base[j] * (xt - p.x[0]);
      for (const k of knots) {
        if (t >= k.index) level += k.jump[j] + k.slope[j] * (xt - p.x[k.index - 1]);
      }
      return scale * (7 + level + rng.normal());
    }),
  );
}
