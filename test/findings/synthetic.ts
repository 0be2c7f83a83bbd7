/**
 * Synthetic influence series with a known truth for the findings tests: a Pythia-14M-shaped
 * component graph (6 layers × (4 heads + MLP) + LOGITS, parallel residual), weights only on the
 * edges the architecture allows, per-prompt values scattered around each checkpoint's matrix.
 */
import { allowedEdges } from '../../lib/network/null-models.js';
import { Rng } from '../../lib/util/rng.js';

export function pythiaNodes(layers = 6, heads = 4): string[] {
  const ids: string[] = [];
  for (let l = 0; l < layers; l++) {
    for (let h = 0; h < heads; h++) ids.push(`L${l}H${h}`);
    ids.push(`L${l}MLP`);
  }
  ids.push('LOGITS');
  return ids;
}

export interface SyntheticSeries {
  steps: number[];
  nodes: string[];
  matrices: number[][][];
  /** [t][i][j][prompt], null where no edge. */
  perPromptEdges: (number[] | null)[][][];
}

export interface SeriesSpec {
  checkpoints: number;
  prompts?: number;
  seed: number;
  /**
   * Weight of edge i→j at checkpoint t before noise: 1 (pure structure: i.i.d. weights per
   * allowed edge at every checkpoint) unless given.
   */
  weight?: (i: number, j: number, t: number) => number;
  /** Log-normal spread of the per-edge noise (default 0.5) and of the per-prompt scatter (default 0.2). */
  edgeNoise?: number;
  promptNoise?: number;
  /** First step and step spacing (default 0, 1000). */
  step0?: number;
}

/** A series: w_ij(t) = weight(i, j, t) · exp(edgeNoise · N(0, 1)), per prompt × exp(promptNoise · N(0, 1)). */
export function syntheticSeries(spec: SeriesSpec): SyntheticSeries {
  const rng = new Rng(spec.seed);
  const nodes = pythiaNodes();
  const n = nodes.length;
  const allowed = allowedEdges(nodes, { parallelResidual: true });
  const prompts = spec.prompts ?? 8;
  const steps = Array.from({ length: spec.checkpoints }, (_, t) => (spec.step0 ?? 0) + 1000 * t);
  const matrices: number[][][] = [];
  const perPromptEdges: (number[] | null)[][][] = [];
  for (let t = 0; t < spec.checkpoints; t++) {
    const per: (number[] | null)[][] = Array.from({ length: n }, () => new Array<number[] | null>(n).fill(null));
    const matrix = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    for (const [i, j] of allowed) {
      const base = (spec.weight?.(i, j, t) ?? 1) * Math.exp((spec.edgeNoise ?? 0.5) * rng.normal());
      const values = Array.from({ length: prompts }, () => base * Math.exp((spec.promptNoise ?? 0.2) * rng.normal()));
      per[i][j] = values;
      // the matrix is the mean over prompts, summed in prompt order as the sweep does
      let total = 0;
      for (const v of values) total += v;
      matrix[i][j] = total / prompts;
    }
    matrices.push(matrix);
    perPromptEdges.push(per);
  }
  return { steps, nodes, matrices, perPromptEdges };
}

/**
 * A planted stable spreader hierarchy with gatherers reshuffled every `every` checkpoints: fixed
 * per-node out-multipliers a_i, and in-multipliers b_j(t) that are a fixed set dealt out to the
 * nodes anew at every reshuffle.
 */
export function plantedRoles(seed: number, every = 3, spread = 0.8): (i: number, j: number, t: number) => number {
  const rng = new Rng(seed + 1000);
  const n = pythiaNodes().length;
  const a = Array.from({ length: n }, () => Math.exp(spread * rng.normal()));
  const pool = Array.from({ length: n }, () => Math.exp(spread * rng.normal()));
  const deals: number[][] = [];
  return (i, j, t) => {
    const k = Math.floor(t / every);
    while (deals.length <= k) deals.push(rng.shuffle(pool.slice()));
    return a[i] * deals[k][j];
  };
}
