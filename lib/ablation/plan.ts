/**
 * Options of an influence sweep, resolved once against the model and the prompts (shared by the
 * fast and the naive sweep, so both measure exactly the same thing).
 */
import type * as tf from '@tensorflow/tfjs';
import type { NeoXConfig, RunOptions, RunResult } from '../model/types.js';
import type { NeoXParams } from '../model/params.js';
import { OptionError } from '../util/errors.js';
import type { BootstrapOptions } from './bootstrap.js';
import { parseMeasure, type MeasureName } from './measures.js';
import { componentNodes, type ComponentNode } from './nodes.js';
import { formatPositions, parsePositions, resolveRange, type PositionSpec, type Range } from './positions.js';
import { getAblation, isAblation, nodeSeed, type Ablation, type AblationContext } from './registry.js';
import { defaultIclWindow, inductionHalfLength } from './tasks.js';
import { checkSweepRequest } from './resources.js';
import './ablations/index.js';

/** What the sweep needs of a model: its config, its parameters (for W_U) and a forward pass. */
export interface InfluenceModel {
  readonly config: NeoXConfig;
  readonly params: NeoXParams;
  run(tokens: number[][] | null | undefined, options?: RunOptions): RunResult;
}

export interface InfluenceOptions {
  /** Ablation type, by registered name or as an object (default 'zero'). */
  ablation?: string | Ablation;
  /** Measure of influence (default 'cosine'). */
  measure?: MeasureName | string;
  /** Measured positions: 'all' (default) or a half-open range ('51:101' or {from, to}). */
  positions?: string | PositionSpec;
  /**
   * Loss positions (logit positions; the logit at p predicts token p+1). Default: the repeated
   * half n:2n for induction-shaped prompts, else every prediction 0:seq-1.
   */
  lossPositions?: string | PositionSpec;
  /** Seed of the ablation's random draws (resample, noise) and, by default, of the bootstrap (default 0). */
  seed?: number;
  bootstrap?: BootstrapOptions;
  /** ICL-score window (tokens at each end of the repeat); default max(1, ⌊n/10⌋). */
  iclWindow?: number;
  /** Fast sweep: memory budget of one stacked forward pass in bytes (default 512 MiB), which bounds how many ablations share a pass. */
  stackBudgetBytes?: number;
  /** Fast sweep: at most this many ablations in one pass (default: no limit beyond the budget). */
  maxStack?: number;
  /** Fast sweep: logit rows formed at a time for the loss (default 256). */
  lseChunkRows?: number;
  /**
   * Fast sweep: worker threads to spread the ablations over (default 1 = this thread only). Each
   * worker has its own TensorFlow.js backend and copy of the model; needs a NeoXModel and a
   * built-in or plug-in (loadAblationPlugin) ablation, else the sweep runs here with a warning.
   */
  workers?: number;
  /** Called after each ablated component (done, total, node name). */
  onProgress?: (done: number, total: number, node: string) => void;
  /** Keep per-prompt values in the result (default true). */
  perPrompt?: boolean;
}

export interface SweepPlan {
  config: NeoXConfig;
  nodes: ComponentNode[];
  sources: ComponentNode[];
  parallel: boolean;
  batch: number;
  seqLen: number;
  measured: Range;
  measuredText: string;
  loss: Range;
  lossText: string;
  ablation: Ablation;
  measure: MeasureName;
  seed: number;
  bootstrap: Required<BootstrapOptions>;
  /** Repeat length when the prompts have the induction form, else null. */
  inductionHalf: number | null;
  iclWindow: number | null;
}

export function makePlan(config: NeoXConfig, prompts: number[][], options: InfluenceOptions): SweepPlan {
  if (!Array.isArray(prompts) || prompts.length === 0) throw new OptionError('prompts', 'need at least one prompt');
  const seqLen = prompts[0].length;
  if (prompts.some((p) => p.length !== seqLen)) throw new OptionError('prompts', 'all prompts must have the same length');
  if (seqLen < 2) throw new OptionError('prompts', 'prompts need at least 2 tokens');
  const ablation = typeof options.ablation === 'object' ? options.ablation : getAblation(options.ablation ?? 'zero');
  if (!isAblation(ablation)) throw new OptionError('--ablation', 'not an Ablation object');
  const measure = parseMeasure(options.measure ?? 'cosine');
  const positionsSpec = typeof options.positions === 'object' || options.positions === 'all' ? options.positions : parsePositions(options.positions ?? 'all', '--positions');
  const measured = resolveRange(positionsSpec, seqLen, '--positions', 'positions');
  const inductionHalf = inductionHalfLength(prompts);
  let lossSpec: PositionSpec;
  if (options.lossPositions === undefined) lossSpec = inductionHalf !== null ? { from: inductionHalf, to: 2 * inductionHalf } : 'all';
  else lossSpec = typeof options.lossPositions === 'object' || options.lossPositions === 'all' ? options.lossPositions : parsePositions(options.lossPositions, '--loss-positions');
  const loss = resolveRange(lossSpec, seqLen - 1, '--loss-positions', 'predicting logit positions');
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) throw new OptionError('--seed', `must be an integer, got ${seed}`);
  const resamples = options.bootstrap?.resamples ?? 1000;
  if (!Number.isSafeInteger(resamples) || resamples < 0) throw new OptionError('--bootstrap', `must be a whole number >= 0, got ${resamples}`);
  // The one memory check of every sweep (the commands check earlier too, before making prompts).
  checkSweepRequest({ config, batch: prompts.length, seqLen, resamples, induction: inductionHalf !== null }, { batch: 'the number of prompts', resamples: '--bootstrap' });
  const nodes = componentNodes(config.numLayers, config.numHeads);
  return {
    config,
    nodes,
    sources: nodes.filter((n) => n.kind !== 'logits'),
    parallel: config.useParallelResidual,
    batch: prompts.length,
    seqLen,
    measured,
    measuredText: positionsSpec === 'all' ? 'all' : `${measured[0]}:${measured[1]}`,
    loss,
    lossText: `${loss[0]}:${loss[1]}`,
    ablation,
    measure,
    seed,
    bootstrap: {
      resamples,
      level: options.bootstrap?.level ?? 0.95,
      seed: options.bootstrap?.seed ?? seed,
    },
    inductionHalf,
    iclWindow: inductionHalf === null ? null : (options.iclWindow ?? defaultIclWindow(inductionHalf)),
  };
}

export function ablationContext(plan: SweepPlan, node: ComponentNode, tfNs: typeof tf): AblationContext {
  return { node, seed: plan.seed, nodeSeed: nodeSeed(plan.seed, node.name), tf: tfNs };
}

export { formatPositions };
