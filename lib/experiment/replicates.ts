/**
 * Bootstrap replicates of the detection metrics, for the confidence of the phase boundaries.
 *
 * The prompts are resampled with replacement (Efron 1979): resample r draws B of the B prompts,
 * from one seeded stream (bootstrapCounts), so resample r is the same draw of prompts at every
 * checkpoint (the prompts are the same at every checkpoint). On each resample every metric of the
 * detection (the columns of metrics.csv) is recomputed the way the checkpoint's record computes
 * it, from the per-prompt values of its influence file:
 *
 * - the graph metrics from the resampled mean influence matrix (entry i→j = mean over the drawn
 *   prompts of `per_prompt.edges[i][j]`, as the sweep averages over all prompts), through the same
 *   graph construction and lib/network functions (Louvain with the same seed and restarts);
 * - loss_repeated and icl_score as means over the drawn prompts of `per_prompt.behaviour`'s
 *   per-prompt values, induction_score_max as the largest over heads of the mean over the drawn
 *   prompts of each head's per-prompt induction score.
 *
 * The identity resample (every prompt once) gives the checkpoint's own metrics (the graph ones
 * exactly, the behaviour ones up to rounding). A value is NaN where the metric is undefined on
 * that replicate (null in metrics.csv), and every replicate of a behaviour metric is NaN when the
 * prompts are not induction prompts. Node metrics (centralities) are not recomputed: they do not
 * enter the detection.
 *
 * Stored per checkpoint in replicates/<step>.json, keyed by the checkpoint's record key and the
 * bootstrap settings; the checkpoint stage writes it, and the series stage recomputes it from the
 * influence file when it is missing or stale (another bootstrap setting, results from before
 * replicates existed). Influence files without per-prompt values give no replicates.
 */
import { existsSync } from 'node:fs';
import { bootstrapCounts, resampledMatrix } from '../ablation/bootstrap.js';
import type { InfluenceResult } from '../ablation/result.js';
import type { PerPromptBehaviour } from '../ablation/tasks.js';
import { strengthAssortativity } from '../network/assortativity.js';
import { averageClustering } from '../network/average-clustering.js';
import type { AnalyzeOptions } from '../network/analyze.js';
import { clustering } from '../network/clustering.js';
import { DEFAULTS, withDefaults } from '../network/defaults.js';
import { density } from '../network/density.js';
import { graphFromInfluence } from '../network/influence-graph.js';
import { louvain } from '../network/louvain.js';
import type { ComponentGraph } from '../network/types.js';
import { totalWeight } from '../network/total-weight.js';
import { weightDistribution } from '../network/weight-distribution.js';
import { readJsonFile, writeFileAtomic } from '../util/files.js';
import { DEFAULT_EXPERIMENT_CONFIG, type ExperimentConfig } from './config.js';
import { analyzeOptions, DETECTION_COLUMNS, graphColumns, graphOptions, type DetectionColumn, type GraphLevelMetrics } from './metrics.js';
import { influenceFile, replicatesFile, type CheckpointRecord, type RecordKey } from './records.js';

export interface BootstrapSettings {
  /** Number of resamples R (0 = none). */
  replicates: number;
  seed: number;
}

/** The settings replicates are computed with. */
export type ReplicateConfig = Pick<ExperimentConfig, 'graph'> & { phases: { bootstrap: BootstrapSettings } };

/** The bootstrap settings of `config` (the default for a plan.json written before they existed). */
export function bootstrapSettings(config: { phases: { bootstrap?: BootstrapSettings } }): BootstrapSettings {
  return config.phases.bootstrap ?? DEFAULT_EXPERIMENT_CONFIG.phases.bootstrap;
}

/** The per-prompt values the replicates are computed from. */
export interface PerPromptValues {
  nodes: string[];
  /** edges[i][j][b]: edge i→j on prompt b alone; null where there is no edge. */
  edges: (number[] | null)[][];
  /** Null when the prompts are not induction prompts (no behaviour metrics). */
  behaviour: PerPromptBehaviour | null;
  prompts: number;
}

/** What replicates need of an influence result or file. */
export type ReplicateSource = Pick<InfluenceResult, 'nodes' | 'behaviour' | 'per_prompt'>;

/**
 * The per-prompt values of an influence result or file, or null with the reason when they are
 * missing (a file written without per_prompt, or from before per_prompt.behaviour existed).
 */
export function perPromptValues(influence: ReplicateSource): PerPromptValues | { missing: string } {
  const per = influence.per_prompt;
  if (!per || !Array.isArray(per.edges)) return { missing: 'the influence file has no per-prompt values (per_prompt)' };
  if (influence.behaviour && !per.behaviour) return { missing: 'the influence file has no per-prompt behaviour values (per_prompt.behaviour)' };
  const prompts = per.clean_loss.length;
  if (prompts < 1) return { missing: 'the influence file has per-prompt values for no prompt' };
  return { nodes: influence.nodes, edges: per.edges, behaviour: influence.behaviour ? per.behaviour! : null, prompts };
}

/** The influence matrix of one resample (lib/ablation/bootstrap.ts), re-exported where replicates use it. */
export { resampledMatrix };

/**
 * The graph-level metrics of analyzeGraph (same functions, same settings), without the node
 * metrics, which the detection does not use.
 */
export function graphLevelMetrics(graph: ComponentGraph, options: AnalyzeOptions): GraphLevelMetrics {
  const communities = louvain(graph, withDefaults(DEFAULTS.louvain, options.louvain));
  return {
    density: density(graph),
    total_weight: totalWeight(graph),
    strength_assortativity: strengthAssortativity(graph).value,
    average_clustering: averageClustering(graph, clustering(graph)),
    modularity: communities.modularity,
    communities: communities.communities,
    weights: weightDistribution(graph, withDefaults(DEFAULTS.weights, options.weights)).values,
  };
}

const meanOver = (values: readonly number[], counts: ArrayLike<number>): number => {
  let total = 0;
  for (let b = 0; b < counts.length; b++) if (counts[b] !== 0) total += counts[b] * values[b];
  return total / counts.length;
};

/** Every detection metric on one resample (counts[b] = draws of prompt b); NaN where undefined. */
export function resampledMetrics(values: PerPromptValues, counts: ArrayLike<number>, config: Pick<ExperimentConfig, 'graph'>): Record<DetectionColumn, number> {
  if (counts.length !== values.prompts) throw new RangeError(`replicates: ${counts.length} prompt counts for ${values.prompts} prompts`);
  const graph = graphFromInfluence({ nodes: values.nodes, matrix: resampledMatrix(values.edges, counts) }, graphOptions(config), 'bootstrap replicate');
  const row: Record<string, number | null> = { ...graphColumns(graphLevelMetrics(graph, analyzeOptions(config))) };
  const b = values.behaviour;
  row.loss_repeated = b ? meanOver(b.repeat_loss, counts) : null;
  row.icl_score = b ? meanOver(b.icl_score, counts) : null;
  let best: number | null = null;
  for (const layer of b?.induction_scores ?? []) {
    for (const head of layer) {
      const score = meanOver(head, counts);
      if (best === null || score > best) best = score;
    }
  }
  row.induction_score_max = best;
  return Object.fromEntries(DETECTION_COLUMNS.map((name) => [name, row[name] ?? NaN])) as Record<DetectionColumn, number>;
}

/**
 * The replicates of one checkpoint: detection metric → its value on each of the R resamples
 * (resample r = the r-th draw of bootstrapCounts(prompts, R, seed)). Null when the per-prompt
 * values are missing or R is 0.
 */
export function computeReplicates(influence: ReplicateSource, config: ReplicateConfig): Record<DetectionColumn, number[]> | null {
  const { replicates, seed } = config.phases.bootstrap;
  const values = perPromptValues(influence);
  if ('missing' in values || replicates === 0) return null;
  const out = Object.fromEntries(DETECTION_COLUMNS.map((name) => [name, new Array<number>(replicates)])) as Record<DetectionColumn, number[]>;
  bootstrapCounts(values.prompts, replicates, seed).forEach((counts, r) => {
    const row = resampledMetrics(values, counts, config);
    for (const name of DETECTION_COLUMNS) out[name][r] = row[name];
  });
  return out;
}

/** replicates/<step>.json. */
export interface ReplicatesFile {
  format: 'cntlens-replicates';
  version: 1;
  /** The key of the checkpoint's record (its checkpoint hash and settings). */
  key: RecordKey;
  bootstrap: BootstrapSettings;
  /** Metric → value per resample (null where NaN); null when the influence file has no per-prompt values. */
  metrics: Record<string, (number | null)[]> | null;
  /** Why `metrics` is null. */
  missing?: string;
}

export function replicatesJson(key: RecordKey, influence: ReplicateSource, config: ReplicateConfig): ReplicatesFile {
  const values = perPromptValues(influence);
  const metrics = computeReplicates(influence, config);
  const file: ReplicatesFile = {
    format: 'cntlens-replicates',
    version: 1,
    key,
    bootstrap: { replicates: config.phases.bootstrap.replicates, seed: config.phases.bootstrap.seed },
    metrics: metrics && Object.fromEntries(Object.entries(metrics).map(([name, v]) => [name, v.map((x) => (Number.isNaN(x) ? null : x))])),
  };
  if ('missing' in values) file.missing = values.missing;
  return file;
}

/** Write the replicates of one checkpoint (nothing when R is 0). */
export async function writeReplicates(out: string, step: number, key: RecordKey, influence: ReplicateSource, config: ReplicateConfig): Promise<void> {
  if (config.phases.bootstrap.replicates === 0) return;
  await writeFileAtomic(replicatesFile(out, step), JSON.stringify(replicatesJson(key, influence, config)) + '\n');
}

/** The replicates file of `step` if it exists, is readable and matches `key` and the settings; else null. */
export function readCurrentReplicates(out: string, step: number, key: RecordKey, bootstrap: BootstrapSettings): ReplicatesFile | null {
  const file = replicatesFile(out, step);
  if (!existsSync(file)) return null;
  try {
    const json = readJsonFile(file) as ReplicatesFile;
    const current = json.format === 'cntlens-replicates' && json.version === 1
      && json.key?.checkpoint === key.checkpoint && json.key?.settings === key.settings
      && json.bootstrap?.replicates === bootstrap.replicates && json.bootstrap?.seed === bootstrap.seed;
    return current ? json : null;
  } catch {
    return null;
  }
}

export interface AttachedReplicates {
  /** Whether every record got its replicates. */
  attached: boolean;
  /** Checkpoints whose replicates were computed here (missing or stale files). */
  computed: number;
  /** Why there are none, when there are none. */
  reason: string | null;
}

/**
 * The series stage: give every record its replicates (record.replicates), reading
 * replicates/<step>.json and recomputing it from the influence file where it is missing or stale.
 * All or none: when some checkpoint has no per-prompt values, no record gets replicates.
 */
export async function attachReplicates(out: string, records: CheckpointRecord[], config: Pick<ExperimentConfig, 'graph'> & { phases: { bootstrap?: BootstrapSettings } }): Promise<AttachedReplicates> {
  const bootstrap = bootstrapSettings(config);
  if (bootstrap.replicates === 0) return { attached: false, computed: 0, reason: 'phases.bootstrap.replicates is 0' };
  let computed = 0;
  const files: ReplicatesFile[] = [];
  for (const record of records) {
    let file = readCurrentReplicates(out, record.step, record.key, bootstrap);
    if (!file) {
      const influence = readJsonFile(influenceFile(out, record.step)) as ReplicateSource;
      file = replicatesJson(record.key, influence, { graph: config.graph, phases: { bootstrap } });
      await writeFileAtomic(replicatesFile(out, record.step), JSON.stringify(file) + '\n');
      computed++;
    }
    files.push(file);
  }
  const without = records.findIndex((_, i) => files[i].metrics === null);
  if (without >= 0) return { attached: false, computed, reason: `step ${records[without].step}: ${files[without].missing ?? 'no replicates'}` };
  records.forEach((record, i) => {
    record.replicates = Object.fromEntries(Object.entries(files[i].metrics!).map(([name, v]) => [name, v.map((x) => x ?? NaN)]));
  });
  return { attached: true, computed, reason: null };
}
