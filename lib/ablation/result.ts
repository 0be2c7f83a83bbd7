/**
 * From per-prompt measurements to the influence result (the object the CLI writes as JSON).
 */
import { bootstrapIntervals } from './bootstrap.js';
import type { SweepPlan } from './plan.js';
import type { BehaviourMetrics, PerPromptBehaviour } from './tasks.js';

/** What a sweep measured, per prompt. Plain data (crosses worker threads). */
export interface RawSweep {
  /** edges[source index][target index] = per-prompt weights, only where an edge can exist. */
  edges: Map<number, Map<number, Float64Array>>;
  /** Mean loss over the loss positions, per prompt, with the source ablated. */
  ablatedLoss: Map<number, Float64Array>;
  /** Clean mean loss over the loss positions, per prompt. */
  cleanLoss: Float64Array;
  behaviour: BehaviourMetrics | null;
  /** The behaviour's per-prompt pieces (induction prompts only). */
  behaviourPerPrompt?: PerPromptBehaviour | null;
}

export interface InfluenceSettings {
  measure: string;
  ablation: string;
  ablation_reference: string;
  positions: string;
  positions_range: [number, number];
  loss_positions: string;
  loss_positions_range: [number, number];
  n_prompts: number;
  seq_len: number;
  seed: number;
  bootstrap: { resamples: number; level: number; seed: number; method: string };
  parallel_residual: boolean;
  mode: 'fast' | 'naive';
  seconds: number;
  definition: string;
  [extra: string]: unknown;
}

export interface InfluenceResult {
  /** `L{l}H{h}`, `L{l}MLP` per layer, then `LOGITS`. */
  nodes: string[];
  /** n × n, row = source (ablated), column = target; 0 where no edge can exist; LOGITS row all 0. */
  matrix: number[][];
  /** Percentile bootstrap interval over prompts of each entry (0 where no edge). */
  ci_low: number[][];
  ci_high: number[][];
  /** Loss with the node ablated minus the clean loss (components only). */
  delta_loss: Record<string, number>;
  delta_loss_ci: Record<string, [number, number]>;
  /** Mean next-token loss over prompts and loss positions, nothing ablated. */
  clean_loss: number;
  /** Induction behaviour of the clean model, when the prompts have the induction form. */
  behaviour: BehaviourMetrics | null;
  settings: InfluenceSettings;
  /**
   * Per-prompt values: edges[i][j] (null where no edge), delta_loss[node], clean_loss, and with
   * induction prompts `behaviour` (per-prompt repeat loss, ICL score, [layer][head][prompt]
   * induction scores).
   */
  per_prompt?: { edges: (number[] | null)[][]; delta_loss: Record<string, number[]>; clean_loss: number[]; behaviour?: PerPromptBehaviour };
}

const DEFINITIONS: Record<string, string> = {
  cosine: 'weight(i->j) = mean over prompts b and measured positions p of 1 - cos(a_j[b,p], a~_j[b,p]); cos clamped to [-1,1], 1 if both vectors are exactly zero, 0 if exactly one is',
  relative_l2: 'weight(i->j) = mean over prompts b and measured positions p of ||a~_j[b,p] - a_j[b,p]|| / ||a_j[b,p]|| (0 if both are zero, 1 if only the clean one is)',
  kl: 'weight(i->LOGITS) = mean over prompts b and measured positions p of KL(softmax(clean logits) || softmax(ablated logits)); no component targets',
};

function mean(values: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i];
  return total / values.length;
}

export function assembleResult(plan: SweepPlan, raw: RawSweep, mode: 'fast' | 'naive', seconds: number, keepPerPrompt = true): InfluenceResult {
  const n = plan.nodes.length;
  const zeros = (): number[][] => Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const matrix = zeros();
  const ciLow = zeros();
  const ciHigh = zeros();
  const perPromptEdges: (number[] | null)[][] = Array.from({ length: n }, () => new Array<number[] | null>(n).fill(null));

  // Edges in a fixed order (source, then target) so bootstrap draws are reproducible.
  const cells: [number, number, Float64Array][] = [];
  for (const [i, row] of [...raw.edges].sort((a, b) => a[0] - b[0])) {
    for (const [j, values] of [...row].sort((a, b) => a[0] - b[0])) cells.push([i, j, values]);
  }
  const deltaPerPrompt = plan.sources.map((s) => {
    const ablated = raw.ablatedLoss.get(s.index);
    if (!ablated) throw new Error(`sweep: no loss for ${s.name}`);
    return ablated.map((x, b) => x - raw.cleanLoss[b]);
  });
  const ci = bootstrapIntervals([...cells.map((c) => c[2]), ...deltaPerPrompt], plan.bootstrap);
  cells.forEach(([i, j, values], k) => {
    matrix[i][j] = mean(values);
    ciLow[i][j] = ci.low[k];
    ciHigh[i][j] = ci.high[k];
    perPromptEdges[i][j] = [...values];
  });
  const deltaLoss: Record<string, number> = {};
  const deltaCi: Record<string, [number, number]> = {};
  const deltaPer: Record<string, number[]> = {};
  plan.sources.forEach((s, k) => {
    deltaLoss[s.name] = mean(deltaPerPrompt[k]);
    deltaCi[s.name] = [ci.low[cells.length + k], ci.high[cells.length + k]];
    deltaPer[s.name] = [...deltaPerPrompt[k]];
  });

  const result: InfluenceResult = {
    nodes: plan.nodes.map((x) => x.name),
    matrix,
    ci_low: ciLow,
    ci_high: ciHigh,
    delta_loss: deltaLoss,
    delta_loss_ci: deltaCi,
    clean_loss: mean(raw.cleanLoss),
    behaviour: raw.behaviour,
    settings: {
      measure: plan.measure,
      ablation: plan.ablation.name,
      ablation_reference: plan.ablation.reference,
      positions: plan.measuredText,
      positions_range: plan.measured,
      loss_positions: plan.lossText,
      loss_positions_range: plan.loss,
      n_prompts: plan.batch,
      seq_len: plan.seqLen,
      seed: plan.seed,
      bootstrap: { ...plan.bootstrap, method: 'percentile over prompts, linear interpolation' },
      parallel_residual: plan.parallel,
      mode,
      seconds,
      definition: DEFINITIONS[plan.measure],
      activations: { head: 'z_h . W_O[h-slice] (no dense bias)', mlp: 'MLP output incl. bias', LOGITS: 'logits' },
      downstream: plan.parallel ? 'nodes of later layers and LOGITS' : 'nodes of later layers, LOGITS, and for a head its own layer\'s MLP',
      loss: 'delta_loss = mean next-token cross-entropy with the node ablated minus clean, over loss positions (logit at p predicts token p+1)',
    },
  };
  if (keepPerPrompt) {
    result.per_prompt = { edges: perPromptEdges, delta_loss: deltaPer, clean_loss: [...raw.cleanLoss] };
    if (raw.behaviourPerPrompt) result.per_prompt.behaviour = raw.behaviourPerPrompt;
  }
  return result;
}
